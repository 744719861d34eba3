from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from retail_platform.local.dataset import RetailDataset
from retail_platform.local.generator import generate
from retail_platform.local.rest_simulator import (
    FaultConfig,
    _parse_args,
    decode_page_token,
    encode_page_token,
    fault_config_from_args,
    fault_for,
)

SEED, SCALE, TOKEN = 5, 0.05, "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_simulator(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "retail_platform.local.rest_simulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--seed",
        str(SEED),
        "--scale",
        str(SCALE),
        "--token",
        TOKEN,
    ]
    # Output to a file, not an unread pipe that could fill up and stall the server.
    with log.open("wb") as log_file:
        return subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"simulator exited early: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError("simulator did not become healthy")


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.terminate()
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=15)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("rest") / "simulator.log"
    process = _start_simulator(port, log)
    try:
        _wait_until_healthy(process, f"http://127.0.0.1:{port}", log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def dataset() -> RetailDataset:
    return generate(seed=SEED, scale=SCALE)


def _walk(base_url: str, path: str, params: dict[str, Any]) -> tuple[list[dict], int]:
    """Follow next_page_token to the end; returns the records and the number of pages."""
    records: list[dict] = []
    pages = 0
    token: str | None = None
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=10) as client:
        while True:
            query = dict(params) | ({"page_token": token} if token else {})
            response = client.get(path, params=query)
            assert response.status_code == 200, response.text
            body = response.json()
            assert set(body) == {"data", "next_page_token"}
            records.extend(body["data"])
            pages += 1
            token = body["next_page_token"]
            if token is None:
                return records, pages


def test_health_needs_no_auth(base_url: str) -> None:
    response = httpx.get(f"{base_url}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_missing_or_wrong_token_is_401(base_url: str, headers: dict[str, str]) -> None:
    for path in ("/v1/orders", "/v1/payments?date=2026-10-01"):
        response = httpx.get(f"{base_url}{path}", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


def test_pagination_walks_a_window_exactly_once(base_url: str, dataset: RetailDataset) -> None:
    since, before = datetime(2026, 9, 3, tzinfo=UTC), datetime(2026, 10, 6, tzinfo=UTC)
    params = {
        "updated_since": "2026-09-03T00:00:00Z",
        "updated_before": "2026-10-06T00:00:00Z",
        "limit": 50,
    }
    records, pages = _walk(base_url, "/v1/orders", params)
    expected = dataset.orders_updated_between(since, before)
    assert len(expected) > 50  # more than one page, or the test proves nothing
    assert pages == -(-len(expected) // 50)
    assert records == expected


def test_the_whole_feed_comes_back_verbatim(base_url: str, dataset: RetailDataset) -> None:
    records, pages = _walk(base_url, "/v1/orders", {"limit": 50})
    assert pages == -(-len(dataset.orders) // 50)
    assert records == dataset.orders  # malformed and duplicate versions included
    served = {(r["order_id"], r["updated_at"]) for r in records}
    assert {(m["order_id"], m["updated_at"]) for m in dataset.malformed_orders} <= served
    missing_customer = [r for r in records if "customer_id" not in r]
    assert missing_customer


def test_updated_since_alone_reads_to_the_end(base_url: str, dataset: RetailDataset) -> None:
    records, _ = _walk(base_url, "/v1/orders", {"updated_since": "2026-10-28T12:00:00+00:00"})
    end = datetime(2100, 1, 1, tzinfo=UTC)
    assert records == dataset.orders_updated_between(datetime(2026, 10, 28, 12, tzinfo=UTC), end)


def test_payments_by_day_with_pagination(base_url: str, dataset: RetailDataset) -> None:
    records, pages = _walk(base_url, "/v1/payments", {"date": "2026-10-10", "limit": 1})
    expected = dataset.payments_on(date(2026, 10, 10))
    assert len(expected) > 1  # more than one page, or the test proves nothing
    assert records == expected
    assert pages == len(expected)


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/orders?updated_since=yesterday", "updated_since"),
        ("/v1/orders?updated_before=2026-13-45T00:00:00Z", "updated_before"),
        ("/v1/orders?page_token=not-a-cursor", "page_token"),
        (f"/v1/orders?page_token={encode_page_token(10**9)}", "page_token"),
        ("/v1/orders?limit=0", "limit"),
        ("/v1/orders?limit=1001", "limit"),
        ("/v1/orders?limit=ten", "limit"),
        ("/v1/payments", "date"),
        ("/v1/payments?date=10/01/2026", "date"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    base_url: str, path: str, parameter: str
) -> None:
    response = httpx.get(f"{base_url}{path}", headers=AUTH)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["parameter"] == parameter
    assert parameter in error["message"]


def test_page_tokens_round_trip() -> None:
    assert decode_page_token(encode_page_token(1234)) == 1234


def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    process = _start_simulator(port, tmp_path / "simulator.log")
    try:
        _wait_until_healthy(process, f"http://127.0.0.1:{port}", tmp_path / "simulator.log")
    finally:
        exit_code = _stop(process)
    assert exit_code == 0


# --- fault injection ---------------------------------------------------------------------------


def test_query_parameters_inject_a_429_with_retry_after(base_url: str) -> None:
    query = "date=2026-10-01&fault_rate_429=1&fault_retry_after_seconds=3"
    response = httpx.get(f"{base_url}/v1/payments?{query}", headers=AUTH)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json()["error"]["code"] == "rate_limited"


def test_query_parameters_inject_a_5xx(base_url: str) -> None:
    response = httpx.get(f"{base_url}/v1/orders?fault_rate_5xx=1", headers=AUTH)
    assert response.status_code == 503


def test_query_parameters_drop_the_connection_mid_body(base_url: str) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="peer closed connection"):
        httpx.get(f"{base_url}/v1/orders?fault_rate_drop=1", headers=AUTH)


def test_a_slow_page_still_answers_in_full(base_url: str, dataset: RetailDataset) -> None:
    started = time.monotonic()
    query = "date=2026-10-04&limit=1000&fault_rate_slow=1&fault_slow_seconds=0.6"
    response = httpx.get(f"{base_url}/v1/payments?{query}", headers=AUTH, timeout=10)
    assert time.monotonic() - started >= 0.6
    assert response.json()["data"] == dataset.payments_on(date(2026, 10, 4))


def test_a_bad_fault_parameter_is_400(base_url: str) -> None:
    response = httpx.get(f"{base_url}/v1/orders?fault_rate_429=often", headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["parameter"] == "fault_rate_429"


def test_faults_are_a_function_of_seed_request_and_attempt() -> None:
    config = FaultConfig(seed=3, rate_429=0.1, rate_5xx=0.05, rate_drop=0.01)
    first = [fault_for(config, f"/v1/orders?page={n}", 1, n) for n in range(1, 20_001)]
    again = [fault_for(config, f"/v1/orders?page={n}", 1, n) for n in range(1, 20_001)]
    other_seed = [
        fault_for(FaultConfig(seed=4, rate_429=0.1), f"/v1/orders?page={n}", 1, n)
        for n in range(1, 101)
    ]

    assert first == again
    assert other_seed != first[:100]
    # 20 000 draws: each rate within half a percentage point of what was asked.
    assert abs(first.count("429") / 20_000 - 0.10) < 0.005
    assert abs(first.count("5xx") / 20_000 - 0.05) < 0.005
    assert abs(first.count("drop") / 20_000 - 0.01) < 0.005
    # A retry of the same page is a new draw, so a rate below 1 never fails a page forever.
    retries = [fault_for(config, "/v1/orders?page=7", attempt, 0) for attempt in range(1, 60)]
    assert None in retries


def test_listed_request_numbers_are_dropped_whatever_the_rates() -> None:
    config = FaultConfig(drop_requests=frozenset({2, 5}))
    assert [fault_for(config, "/v1/orders?", 1, n) for n in range(1, 7)] == [
        None, "drop", None, None, "drop", None,
    ]  # fmt: skip


def test_cli_flags_configure_the_faults() -> None:
    args = _parse_args(
        ["--token", "t", "--fault-seed", "9", "--fault-429-rate", "0.1", "--fault-5xx-rate",
         "0.05", "--fault-slow-rate", "0.02", "--fault-slow-seconds", "4",
         "--fault-drop-requests", "7,12", "--fault-retry-after", "2"]
    )  # fmt: skip
    assert fault_config_from_args(args) == FaultConfig(
        seed=9, rate_429=0.1, rate_5xx=0.05, rate_slow=0.02, slow_seconds=4.0,
        drop_requests=frozenset({7, 12}), retry_after_seconds=2,
    )  # fmt: skip
