"""CommerceApiResource over real HTTP against simulators that misbehave on purpose."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import tenacity.nap

from retail_platform.local.generator import generate
from retail_platform.resources.rest import (
    CommerceApiError,
    CommerceApiResource,
    FetchStats,
    parse_retry_after,
)
from retail_platform_tests.local.simulator_process import TOKEN, running_simulator

SEED, SCALE = 5, 0.05


@pytest.fixture(scope="module")
def flaky_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """5xx on ~20% of requests, slow pages on ~10%, and the 3rd request dropped mid-body."""
    faults = ["--fault-seed", "1", "--fault-5xx-rate", "0.2", "--fault-slow-rate", "0.1",
              "--fault-slow-seconds", "1.5", "--fault-drop-requests", "3"]  # fmt: skip
    with running_simulator(
        tmp_path_factory.mktemp("flaky"), seed=SEED, scale=SCALE, extra_args=faults
    ) as url:
        yield url


@pytest.fixture(scope="module")
def rate_limited_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Every data request answers 429 with Retry-After: 1."""
    faults = ["--fault-429-rate", "1", "--fault-retry-after", "1"]
    with running_simulator(
        tmp_path_factory.mktemp("limited"), seed=SEED, scale=SCALE, extra_args=faults
    ) as url:
        yield url


def _api(base_url: str, **options: float | str) -> CommerceApiResource:
    settings = {"page_size": 100, "backoff_initial_seconds": 0.01, "backoff_max_seconds": 0.2}
    return CommerceApiResource(base_url=base_url, api_token=TOKEN, **(settings | options))


def test_every_record_arrives_once_through_5xx_timeouts_and_a_dropped_connection(
    flaky_api: str,
) -> None:
    stats = FetchStats()
    api = _api(flaky_api, timeout_seconds=0.5)  # a 1.5 s page times out

    records = [r for page in api.iter_pages("/v1/orders", {}, stats) for r in page.records]

    expected = generate(seed=SEED, scale=SCALE).orders
    assert records == expected  # same records, same order: none lost, none doubled
    assert stats.pages_fetched == -(-len(expected) // 100)
    assert stats.records_fetched == len(expected)
    assert stats.retries_by_cause["connection"] == 1
    assert stats.retries_by_cause["5xx"] > 0
    assert stats.retries_by_cause["timeout"] > 0
    assert stats.retries == sum(stats.retries_by_cause.values())


def test_429_waits_for_retry_after_and_gives_up_after_the_budget_naming_endpoint_and_page(
    rate_limited_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stats = FetchStats()
    # Budget 2.5 s with Retry-After 1: attempts at 0 s, 1 s and 2 s; a 4th would start at 3 s.
    api = _api(rate_limited_api, max_retry_seconds=2.5)
    waits: list[float] = []
    real_sleep = time.sleep

    def recording_sleep(seconds: float) -> None:  # still sleeps: the budget is real time
        waits.append(seconds)
        real_sleep(seconds)

    # tenacity's default sleep strategy calls time.sleep: what the client decided to wait.
    monkeypatch.setattr(tenacity.nap.time, "sleep", recording_sleep)

    with pytest.raises(CommerceApiError) as error:
        list(api.iter_pages("/v1/payments", {"date": "2026-10-02"}, stats))

    message = str(error.value)
    assert message.startswith("GET /v1/payments page 1 (date=2026-10-02&limit=100) failed after 3")
    assert "429 Too Many Requests" in message
    assert stats.retries == 2 and stats.retries_by_cause["429"] == 2
    assert waits == [1.0, 1.0]  # exactly Retry-After each time, not the 0.01 s backoff


def test_a_wrong_token_fails_at_once_without_retrying(flaky_api: str) -> None:
    stats = FetchStats()
    api = CommerceApiResource(base_url=flaky_api, api_token="wrong", page_size=50)

    with pytest.raises(CommerceApiError, match=r"GET /v1/orders page 1 .* answered 401"):
        list(api.iter_pages("/v1/orders", {}, stats))

    assert stats.retries == 0


def test_an_unreachable_api_fails_after_the_budget_with_connection_retries(
    tmp_path: Path,
) -> None:
    stats = FetchStats()
    api = _api("http://127.0.0.1:9", max_retry_seconds=0.5)  # port 9: nothing listens

    with pytest.raises(CommerceApiError, match=r"GET /v1/orders page 1 .*connection failed"):
        list(api.iter_pages("/v1/orders", {}, stats))

    assert stats.retries_by_cause["connection"] >= 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    in_ten_seconds = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    assert 8.0 <= parse_retry_after(in_ten_seconds) <= 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
