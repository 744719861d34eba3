"""The commerce REST API: bearer auth, cursor pagination, and retries that outlast a flaky API.

Every page request is retried by tenacity: exponential backoff with full jitter on 5xx, timeouts,
dropped connections and truncated bodies; a 429 waits exactly as long as its `Retry-After` says.
The retry time spent on one page is bounded; past that the run fails with an error naming the
endpoint and the page. Other 4xx answers are not retried (retrying cannot fix them): they raise
`RejectedRequestError`, which the assets turn into a failure that skips the step's retry policy.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field

if TYPE_CHECKING:  # imported where used: loading the code location should not pay for it
    import httpx
    import tenacity


class CommerceApiError(RuntimeError):
    """The API could not deliver a page; the message names the endpoint and the page."""

    retryable = True
    """Whether running the step again might succeed (the retry budget ran out on a flaky API)."""


class RejectedRequestError(CommerceApiError):
    """A 4xx other than 429 (bad token, bad parameter): asking again gets the same answer, so
    neither this resource nor the step's retry policy tries again."""

    retryable = False


class TransientApiError(Exception):
    """A failure that a later attempt may not meet: 429, 5xx, timeout, connection trouble."""

    def __init__(self, cause: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.cause = cause
        self.retry_after = retry_after


@dataclass(frozen=True)
class Page:
    records: list[Any]
    source_key: str
    """The endpoint and page token that produced the page, for bronze lineage."""


@dataclass
class FetchStats:
    """What one ingestion cost: reported as asset metadata."""

    pages_fetched: int = 0
    records_fetched: int = 0
    retries: int = 0
    retries_by_cause: Counter[str] = field(default_factory=Counter)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "pages_fetched": self.pages_fetched,
            "records_fetched": self.records_fetched,
            "retries_taken": self.retries,
            "retries_by_cause": dict(sorted(self.retries_by_cause.items())),
        }


class CommerceApiResource(dg.ConfigurableResource):
    base_url: str = Field(description="Base URL of the commerce API, e.g. https://api.shop.example")
    api_token: str = Field(description="Bearer token; set from an environment variable.")
    page_size: int = Field(default=500, description="Records requested per page.")
    timeout_seconds: float = Field(default=30.0, description="Per request (connect and read).")
    max_retry_seconds: float = Field(
        default=300.0,
        description="Retry budget per page: once retrying a page would take longer, the run fails.",
    )
    backoff_initial_seconds: float = Field(
        default=0.5, description="First backoff step; it doubles per attempt, with full jitter."
    )
    backoff_max_seconds: float = Field(default=30.0, description="Longest single backoff.")

    def iter_pages(
        self, path: str, params: Mapping[str, str], stats: FetchStats | None = None
    ) -> Iterator[Page]:
        """Yields every page of a cursor-paginated endpoint, following next_page_token."""
        import httpx

        stats = stats if stats is not None else FetchStats()
        query = {**params, "limit": str(self.page_size)}
        page_number = 1
        with httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.api_token}"},
            timeout=self.timeout_seconds,
        ) as client:
            while True:
                source_key = f"{path}?{httpx.QueryParams(query)}"
                body = self._get_page(client, path, query, page_number, stats)
                records = body.get("data", [])
                stats.pages_fetched += 1
                stats.records_fetched += len(records)
                yield Page(records=records, source_key=source_key)
                page_token = body.get("next_page_token")
                if not page_token:
                    return
                query["page_token"] = page_token
                page_number += 1

    def _get_page(
        self,
        client: httpx.Client,
        path: str,
        query: dict[str, str],
        page_number: int,
        stats: FetchStats,
    ) -> dict[str, Any]:
        import tenacity

        def count_retry(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            stats.retries += 1
            stats.retries_by_cause[getattr(error, "cause", "other")] += 1

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(TransientApiError),
            wait=_RetryAfterOrBackoff(self.backoff_initial_seconds, self.backoff_max_seconds),
            stop=tenacity.stop_before_delay(self.max_retry_seconds),
            before_sleep=count_retry,
            reraise=True,
        )
        started = time.monotonic()
        try:
            for attempt in retrying:
                with attempt:
                    return _request_page(client, path, query, page_number)
        except TransientApiError as error:
            import httpx

            attempts = retrying.statistics.get("attempt_number", 1)
            raise CommerceApiError(
                f"GET {path} page {page_number} ({httpx.QueryParams(query)}) failed after "
                f"{attempts} attempts in {time.monotonic() - started:.1f}s (retry budget "
                f"{self.max_retry_seconds:g}s per page); last error: {error}"
            ) from error
        raise AssertionError("unreachable: tenacity either returns or raises")


def _request_page(
    client: httpx.Client, path: str, query: dict[str, str], page_number: int
) -> dict[str, Any]:
    import httpx

    try:
        response = client.get(path, params=query)
    except httpx.TimeoutException as error:
        raise TransientApiError("timeout", f"timed out: {error!r}") from error
    except httpx.TransportError as error:  # refused, reset, or dropped mid-body
        raise TransientApiError("connection", f"connection failed: {error!r}") from error
    status = response.status_code
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TransientApiError("429", "429 Too Many Requests", retry_after)
    if status >= 500:
        raise TransientApiError("5xx", f"{status}: {response.text[:200]}")
    if status != 200:
        raise RejectedRequestError(
            f"GET {path} page {page_number} ({httpx.QueryParams(query)}) answered {status}: "
            f"{response.text[:300]}"
        )
    try:
        body = response.json()
    except json.JSONDecodeError as error:  # a body cut short: fetch the page again
        raise TransientApiError("bad_body", f"unreadable JSON body: {error}") from error
    if not isinstance(body, dict):
        raise TransientApiError("bad_body", f"body is not a JSON object: {type(body).__name__}")
    return body


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class _RetryAfterOrBackoff:
    """The server's Retry-After when it gave one, else exponential backoff with full jitter.

    A plain callable (tenacity takes any `wait(retry_state) -> seconds`), so that defining it
    does not import tenacity when the code location loads.
    """

    def __init__(self, initial: float, maximum: float) -> None:
        import tenacity

        self._backoff = tenacity.wait_random_exponential(multiplier=initial, max=maximum)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, TransientApiError) and error.retry_after is not None:
            return error.retry_after
        return self._backoff(retry_state)
