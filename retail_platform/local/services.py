"""The services of the local stack: command lines and readiness probes (used by stack.py)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retail_platform.local.origin import DatasetOrigin, resolve_origin

if TYPE_CHECKING:
    from retail_platform.local.stack import StackConfig

HOST = "127.0.0.1"
S3, SNOWFLAKE, REST, FX = "s3", "snowflake", "rest", "fx"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    command: list[str]
    port: int
    url: str
    is_ready: Callable[[], bool]


# --- service definitions -------------------------------------------------------------------


def _http_answers(url: str, *, require_ok: bool = False) -> bool:
    # Imported where used: the local code location loads this module (environment wiring) and
    # should not pay for httpx, rich and pygments.
    import httpx

    try:
        response = httpx.get(url, timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 if require_ok else True


def _tcp_accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def build_service_specs(
    config: StackConfig,
    ports: dict[str, int],
    origin: DatasetOrigin | None = None,
    live_since: str = "",
) -> list[ServiceSpec]:
    """The command line and readiness probe of every service, in start order."""
    origin = origin or resolve_origin(
        config.state_dir, config.seed, config.scale, config.end_date, config.days
    )
    s3_url = f"http://{HOST}:{ports[S3]}"
    rest_url = f"http://{HOST}:{ports[REST]}"
    warehouse_dir = Path(config.state_dir) / "warehouse"
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    live_arguments = (
        ["--live-since", live_since, "--live-interval", str(config.live_interval_seconds),
         "--s3-endpoint", s3_url, "--s3-bucket", config.s3_bucket]
        if live_since else []
    )  # fmt: skip
    python = sys.executable
    moto_server = str(Path(python).parent / "moto_server")  # console script next to our python
    return [
        ServiceSpec(
            name=S3,
            command=[moto_server, "-H", HOST, "-p", str(ports[S3])],
            port=ports[S3],
            url=s3_url,
            is_ready=lambda: _http_answers(s3_url),
        ),
        ServiceSpec(
            name=SNOWFLAKE,
            command=[python, "-m", "retail_platform.local.fakesnow_server", "--host", HOST,
                     "--port", str(ports[SNOWFLAKE]), "--db-path", str(warehouse_dir)],
            port=ports[SNOWFLAKE],
            url=f"http://{HOST}:{ports[SNOWFLAKE]}",
            is_ready=lambda: _tcp_accepts(ports[SNOWFLAKE]),
        ),
        ServiceSpec(
            name=REST,
            command=[python, "-m", "retail_platform.local.rest_simulator", "--host", HOST,
                     "--port", str(ports[REST]), "--seed", str(config.seed),
                     "--scale", str(config.scale), "--token", config.api_token,
                     "--end-date", origin.end_date, "--days", str(origin.days),
                     *live_arguments],
            port=ports[REST],
            url=rest_url,
            is_ready=lambda: _http_answers(f"{rest_url}/health", require_ok=True),
        ),
        # The ECB reference-rate feed, from the shipped snapshot (local/fx_feed.py).
        ServiceSpec(
            name=FX,
            command=[python, "-m", "retail_platform.local.fx_feed", "--host", HOST,
                     "--port", str(ports[FX])],
            port=ports[FX],
            url=f"http://{HOST}:{ports[FX]}",
            is_ready=lambda: _http_answers(f"http://{HOST}:{ports[FX]}/health", require_ok=True),
        ),
    ]  # fmt: skip
