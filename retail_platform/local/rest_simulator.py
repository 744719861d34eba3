"""The commerce REST API stand-in: serves a generated dataset over real HTTP.

Records are served verbatim, malformed and duplicated versions included, so the ingestion code
meets the same defects it would meet in production.

Usage::

    python -m retail_platform.local.rest_simulator --host 127.0.0.1 --port 8081 --token T
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import signal
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from types import FrameType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from retail_platform.local.dataset import to_utc
from retail_platform.local.generator import DEFAULT_START_DATE, RetailDataset, generate

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


Endpoint = Callable[[Request], Awaitable[JSONResponse]]


def create_app(dataset: RetailDataset, token: str, page_size_default: int = 500) -> Starlette:
    """Starlette app serving /health, /v1/orders and /v1/payments from `dataset`."""
    expected_header = f"Bearer {token}".encode()

    def guarded(handler: Callable[[Request], JSONResponse]) -> Endpoint:
        async def endpoint(request: Request) -> JSONResponse:
            supplied = request.headers.get("authorization", "").encode()
            # Constant-time compare, as a real API would.
            if not hmac.compare_digest(supplied, expected_header):
                return _error(401, "unauthorized", "missing or invalid bearer token")
            try:
                return handler(request)
            except InvalidParameter as error:
                return _error(400, "invalid_parameter", str(error), error.parameter)

        return endpoint

    def orders(request: Request) -> JSONResponse:
        since = _timestamp_param(request, "updated_since", _BEGINNING)
        before = _timestamp_param(request, "updated_before", _END_OF_TIME)
        return _page(request, dataset.orders_updated_between(since, before), page_size_default)

    def payments(request: Request) -> JSONResponse:
        raw = request.query_params.get("date")
        if not raw:
            raise InvalidParameter("date", "date is required (YYYY-MM-DD)")
        try:
            day = date.fromisoformat(raw)
        except ValueError as error:
            raise InvalidParameter("date", "date must be YYYY-MM-DD") from error
        return _page(request, dataset.payments_on(day), page_size_default)

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/v1/orders", guarded(orders), methods=["GET"]),
            Route("/v1/payments", guarded(payments), methods=["GET"]),
        ]
    )


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the synthetic commerce REST API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--start-date", type=date.fromisoformat, default=DEFAULT_START_DATE)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--token", required=True, help="bearer token clients must send")
    parser.add_argument("--page-size", type=int, default=500, help="default page size")
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then re-raises the signal to the
    # previous handler; making that handler exit 0 keeps a requested stop from looking like a crash.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, _exit_cleanly)
    dataset = generate(seed=args.seed, scale=args.scale, start_date=args.start_date, days=args.days)
    app = create_app(dataset, args.token, page_size_default=args.page_size)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
