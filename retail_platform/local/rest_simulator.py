"""The commerce REST API stand-in: serves a generated dataset over real HTTP.

Records are served verbatim, malformed and duplicated versions included, so the ingestion code
meets the same defects it would meet in production. It can also misbehave on purpose (see
`FaultConfig`): 429s with Retry-After, 5xx, slow pages and connections dropped mid-body, at rates
set at startup by CLI flags or per request by `fault_*` query parameters. Whether a request
fails is a hash of (seed, request, attempt number), so a given client sees the same faults on
every run, in any order.

Usage::

    python -m retail_platform.local.rest_simulator --host 127.0.0.1 --port 8081 --token T \
        --fault-seed 3 --fault-429-rate 0.1 --fault-5xx-rate 0.05 --fault-drop-requests 7
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hashlib
import hmac
import signal
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from types import FrameType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from retail_platform.local.dataset import to_utc
from retail_platform.local.generator import (
    RetailDataset,
    generate,
    with_order_changes,
)
from retail_platform.local.live import LiveClock, LiveFeed
from retail_platform.local.live_source import LiveSource

MAX_PAGE_SIZE = 1000
# Earliest/latest instants, used when a bound is left out of the query.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
_END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)


class InvalidParameter(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_page_token(token: str) -> int:
    """Offset into the filtered, ordered result; raises InvalidParameter if not ours."""
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, _, number = text.partition(":")
        offset = int(number)
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise InvalidParameter("page_token", "page_token is not a valid cursor") from error
    if prefix != "offset" or offset < 0:
        raise InvalidParameter("page_token", "page_token is not a valid cursor")
    return offset


def _timestamp_param(request: Request, name: str, default: datetime) -> datetime:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return to_utc(datetime.fromisoformat(raw))
    except ValueError as error:
        raise InvalidParameter(name, f"{name} must be an ISO-8601 timestamp") from error


def _limit_param(request: Request, default: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError as error:
        raise InvalidParameter("limit", "limit must be an integer") from error
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidParameter("limit", f"limit must be between 1 and {MAX_PAGE_SIZE}")
    return limit


def _page(request: Request, records: Sequence[dict[str, Any]], default_limit: int) -> JSONResponse:
    """Cut one page out of the full ordered result and point at the next one."""
    limit = _limit_param(request, default_limit)
    token = request.query_params.get("page_token") or ""
    offset = decode_page_token(token) if token else 0
    if offset > len(records):
        raise InvalidParameter("page_token", "page_token points past the end of the result")
    end = offset + limit
    next_token = encode_page_token(end) if end < len(records) else None
    return JSONResponse({"data": list(records[offset:end]), "next_page_token": next_token})


def _error(status: int, code: str, message: str, parameter: str | None = None) -> JSONResponse:
    error: dict[str, str] = {"code": code, "message": message}
    if parameter is not None:
        error["parameter"] = parameter
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": error}, status_code=status, headers=headers)


@dataclass(frozen=True)
class FaultConfig:
    """How often the data endpoints misbehave. Rates are per request and add up to at most 1."""

    seed: int = 0
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 2.0
    rate_drop: float = 0.0
    drop_requests: frozenset[int] = frozenset()
    """1-based numbers of data requests (counted since startup) whose connection is dropped."""
    retry_after_seconds: int = 1

    def with_query(self, params: Mapping[str, str]) -> FaultConfig:
        """This config overridden by `fault_<field>` query parameters (e.g. fault_rate_429=0.1)."""
        overrides: dict[str, Any] = {}
        for spec in fields(self):
            raw = params.get(f"fault_{spec.name}")
            if raw is None or spec.name == "drop_requests":
                continue
            try:
                overrides[spec.name] = int(raw) if spec.type in ("int", int) else float(raw)
            except ValueError as error:
                raise InvalidParameter(
                    f"fault_{spec.name}", f"fault_{spec.name} must be a number"
                ) from error
        return replace(self, **overrides)


class FaultInjector:
    """Decides each data request's fate from (seed, request, attempt): repeatable across runs."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self.requests = 0
        self.injected: Counter[str] = Counter()
        self._attempts: Counter[str] = Counter()

    def decide(self, request: Request) -> tuple[str | None, FaultConfig]:
        """The fault for this request (or None), and the config it was drawn with."""
        config = self.config.with_query(request.query_params)
        self.requests += 1
        params = sorted(
            (k, v) for k, v in request.query_params.items() if not k.startswith("fault_")
        )
        request_key = f"{request.url.path}?{params}"
        self._attempts[request_key] += 1
        fault = fault_for(config, request_key, self._attempts[request_key], self.requests)
        if fault:
            self.injected[fault] += 1
        return fault, config


def fault_for(config: FaultConfig, request_key: str, attempt: int, ordinal: int) -> str | None:
    """429, 5xx, slow, drop or None: a pure function of the config, request, attempt and number."""
    if ordinal in config.drop_requests:
        return "drop"
    digest = hashlib.sha256(f"{config.seed}|{request_key}|{attempt}".encode()).digest()
    roll = int.from_bytes(digest[:8], "big") / 2**64
    for fault, rate in (
        ("429", config.rate_429),
        ("5xx", config.rate_5xx),
        ("slow", config.rate_slow),
        ("drop", config.rate_drop),
    ):
        if roll < rate:
            return fault
        roll -= rate
    return None


class _DroppedConnection(Response):
    """Starts a 200 answer, sends a few bytes, then closes the socket: a drop mid-body."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"65536")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"data": [', "more_body": True})
        # After the response has started, uvicorn can only close the connection.
        raise ConnectionAbortedError("simulated dropped connection")


async def _faulty(fault: str, config: FaultConfig) -> Response | None:
    """The response standing in for the real one, or None to answer normally (maybe late)."""
    if fault == "429":
        response = _error(429, "rate_limited", "too many requests")
        response.headers["Retry-After"] = str(config.retry_after_seconds)
        return response
    if fault == "5xx":
        return _error(503, "unavailable", "the service is temporarily unavailable")
    if fault == "drop":
        return _DroppedConnection()
    await asyncio.sleep(config.slow_seconds)  # "slow": answer, but late
    return None


Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(
    dataset: RetailDataset,
    token: str,
    page_size_default: int = 500,
    faults: FaultConfig | None = None,
    live: LiveSource | None = None,
) -> Starlette:
    """Starlette app serving /health, /v1/orders, /v1/payments and /admin/order-changes
    (and, in live mode, /admin/live to see or stop the flow)."""
    expected_header = f"Bearer {token}".encode()
    injector = FaultInjector(faults or FaultConfig())
    served = {"dataset": dataset}  # the admin endpoint swaps in a later state of the API

    def current() -> RetailDataset:
        if live is not None:
            served["dataset"] = live.dataset_now()
        return served["dataset"]

    def guarded(handler: Callable[[Request], JSONResponse], inject: bool = True) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            supplied = request.headers.get("authorization", "").encode()
            # Constant-time compare, as a real API would.
            if not hmac.compare_digest(supplied, expected_header):
                return _error(401, "unauthorized", "missing or invalid bearer token")
            try:
                fault, config = injector.decide(request) if inject else (None, injector.config)
                if fault and (response := await _faulty(fault, config)):
                    return response
                return handler(request)
            except InvalidParameter as error:
                return _error(400, "invalid_parameter", str(error), error.parameter)

        return endpoint

    def orders(request: Request) -> JSONResponse:
        since = _timestamp_param(request, "updated_since", _BEGINNING)
        before = _timestamp_param(request, "updated_before", _END_OF_TIME)
        records = current().orders_updated_between(since, before)
        return _page(request, records, page_size_default)

    def payments(request: Request) -> JSONResponse:
        raw = request.query_params.get("date")
        if not raw:
            raise InvalidParameter("date", "date is required (YYYY-MM-DD)")
        try:
            day = date.fromisoformat(raw)
        except ValueError as error:
            raise InvalidParameter("date", "date must be YYYY-MM-DD") from error
        return _page(request, current().payments_on(day), page_size_default)

    def order_changes(request: Request) -> JSONResponse:
        """Give a fraction of the orders one more version, stamped from `at` on (for tests)."""
        try:
            fraction = float(request.query_params.get("fraction", ""))
        except ValueError as error:
            raise InvalidParameter("fraction", "fraction must be a number") from error
        at = _timestamp_param(request, "at", _BEGINNING)
        spacing = float(request.query_params.get("spacing_seconds", "60"))
        before = len(served["dataset"].orders)
        served["dataset"] = with_order_changes(
            served["dataset"], fraction, at, timedelta(seconds=spacing)
        )
        return JSONResponse({"versions_added": len(served["dataset"].orders) - before})

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    def live_state(request: Request) -> JSONResponse:
        if live is None:
            return _error(404, "not_live", "the simulator was not started in live mode")
        if request.method == "POST" and request.query_params.get("stop"):
            live.stop()
        return JSONResponse(live.describe())

    async def fault_stats(_: Request) -> JSONResponse:
        return JSONResponse({"requests": injector.requests, "injected": dict(injector.injected)})

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/v1/orders", guarded(orders), methods=["GET"]),
            Route("/v1/payments", guarded(payments), methods=["GET"]),
            Route("/admin/faults", fault_stats, methods=["GET"]),
            Route("/admin/order-changes", guarded(order_changes, inject=False), methods=["POST"]),
            Route("/admin/live", guarded(live_state, inject=False), methods=["GET", "POST"]),
        ]
    )


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the synthetic commerce REST API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--end-date", type=date.fromisoformat, default=None, help="last day (default: yesterday)"
    )
    parser.add_argument("--days", type=int, default=None, help="default: 13 calendar months")
    parser.add_argument("--token", required=True, help="bearer token clients must send")
    parser.add_argument("--page-size", type=int, default=500, help="default page size")
    parser.add_argument("--log-level", default="warning")
    faults = parser.add_argument_group("fault injection (data endpoints only)")
    faults.add_argument("--fault-seed", type=int, default=0)
    faults.add_argument("--fault-429-rate", type=float, default=0.0)
    faults.add_argument("--fault-5xx-rate", type=float, default=0.0)
    faults.add_argument("--fault-slow-rate", type=float, default=0.0)
    faults.add_argument("--fault-slow-seconds", type=float, default=2.0)
    faults.add_argument("--fault-drop-rate", type=float, default=0.0)
    faults.add_argument(
        "--fault-drop-requests",
        default="",
        help="comma-separated numbers of data requests (1 = the first) to drop mid-body",
    )
    faults.add_argument("--fault-retry-after", type=int, default=1, help="Retry-After of a 429")
    live = parser.add_argument_group("live mode: new data as time passes (live.py)")
    live.add_argument("--live-since", default="", help="ISO instant the live flow starts")
    live.add_argument("--live-interval", type=int, default=120, help="seconds per tick")
    live.add_argument("--s3-endpoint", default="", help="where live partner files land")
    live.add_argument("--s3-bucket", default="")
    return parser.parse_args(argv)


def fault_config_from_args(args: argparse.Namespace) -> FaultConfig:
    drops = frozenset(int(n) for n in args.fault_drop_requests.split(",") if n.strip())
    return FaultConfig(
        seed=args.fault_seed,
        rate_429=args.fault_429_rate,
        rate_5xx=args.fault_5xx_rate,
        rate_slow=args.fault_slow_rate,
        slow_seconds=args.fault_slow_seconds,
        rate_drop=args.fault_drop_rate,
        drop_requests=drops,
        retry_after_seconds=args.fault_retry_after,
    )


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then re-raises the signal to the
    # previous handler; making that handler exit 0 keeps a requested stop from looking like a crash.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, _exit_cleanly)
    dataset = generate(seed=args.seed, scale=args.scale, end_date=args.end_date, days=args.days)
    live = None
    if args.live_since:
        clock = LiveClock(
            datetime.fromisoformat(args.live_since), timedelta(seconds=args.live_interval)
        )
        live = LiveSource(LiveFeed(dataset, clock), args.s3_endpoint, args.s3_bucket)
        live.start_uploads()
    app = create_app(
        dataset,
        args.token,
        page_size_default=args.page_size,
        faults=fault_config_from_args(args),
        live=live,
    )
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
