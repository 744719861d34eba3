"""A local, disk-persisted Snowflake stand-in built on fakesnow's HTTP server.

fakesnow's own ``-s`` CLI mode keeps everything in memory, so this entry point wires a
``FakeSnow(db_path=...)`` instance into the server app before starting uvicorn. Each Snowflake
database becomes ``<db-path>/<DATABASE>.db`` and survives restarts.

Usage::

    python -m retail_platform.local.fakesnow_server --port 8765 --db-path .data/snow
"""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class _StopRequest:
    """Signal handler that asks uvicorn to stop gracefully, whenever the signal arrives.

    uvicorn installs its own handlers only while serving and afterwards re-raises the signal it
    caught; with the default handlers in place SIGTERM would then kill the process before the
    databases are flushed, and a signal arriving during startup would be lost.
    """

    def __init__(self) -> None:
        self.requested = False
        self.server: Any = None

    def __call__(self, _signum: int, _frame: object) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run a disk-persisted fakesnow server.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (%(default)s)")
    parser.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    parser.add_argument(
        "--db-path", required=True, type=Path, help="directory holding one <DATABASE>.db each"
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (%(default)s)")
    return parser.parse_args(argv)


def _flush_and_close(duck_conn: Any) -> None:
    """Checkpoint every file-backed database so the .db files are complete, then close."""
    try:
        file_databases = duck_conn.execute(
            "SELECT database_name FROM duckdb_databases() WHERE path IS NOT NULL AND NOT internal"
        ).fetchall()
        for (database_name,) in file_databases:
            try:
                duck_conn.execute(f'CHECKPOINT "{database_name}"')
            except Exception as error:  # committed data is still in the WAL and replays on open
                logger.warning("checkpoint of %s failed: %s", database_name, error)
    finally:
        duck_conn.close()


def allow_merge_inside_transactions() -> None:
    """Let MERGE run between BEGIN and COMMIT, as it does on Snowflake.

    fakesnow emulates MERGE with a temporary candidates table, and records a (null) table
    comment for it in its global catalog database; inside an explicit transaction that second
    write fails ("a single transaction can only write to a single attached database"). A
    temporary table without a comment needs no record, so none is written for it.
    """
    import fakesnow.transforms as transforms
    from sqlglot import exp

    if getattr(transforms.extract_comment_on_table, "merge_in_transactions", False):
        return
    original = transforms.extract_comment_on_table

    def extract_comment_on_table(expression: exp.Expr) -> exp.Expr:
        transformed = original(expression)
        recorded = transformed.args.get("table_comment")
        if recorded is not None and recorded[1] is None and transformed.find(exp.TemporaryProperty):
            del transformed.args["table_comment"]
        return transformed

    extract_comment_on_table.merge_in_transactions = True  # type: ignore[attr-defined]
    transforms.extract_comment_on_table = extract_comment_on_table


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop = _StopRequest()
    for handled in (signal.SIGINT, signal.SIGTERM):
        signal.signal(handled, stop)

    db_path: Path = args.db_path.resolve()
    db_path.mkdir(parents=True, exist_ok=True)

    # Imported lazily: fakesnow creates its stage bucket temp dir at import time.
    import fakesnow.server
    import uvicorn
    from fakesnow.instance import FakeSnow
    from fakesnow.transforms import stage

    allow_merge_inside_transactions()
    persisted = FakeSnow(db_path=str(db_path))
    fakesnow.server.shared_fs = persisted
    # fakesnow pins its own logger to INFO (one line per login); honour the requested level.
    logging.getLogger("fakesnow.server").setLevel(args.log_level.upper())
    # sqlglot warns on every Snowflake keyword fakesnow ignores (e.g. TRANSIENT): noise here.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)

    server = uvicorn.Server(
        uvicorn.Config(
            fakesnow.server.app, host=args.host, port=args.port, log_level=args.log_level
        )
    )
    stop.server = server
    server.should_exit = stop.requested
    try:
        server.run()
    finally:
        for session in list(fakesnow.server.sessions.values()):
            session.close()
        fakesnow.server.sessions.clear()
        _flush_and_close(persisted.duck_conn)
        # fakesnow never removes the stage bucket it creates per process.
        shutil.rmtree(stage.LOCAL_BUCKET_PATH, ignore_errors=True)
    # uvicorn returns normally (without serving) when e.g. the lifespan startup failed.
    return 0 if server.started else 1


if __name__ == "__main__":
    raise SystemExit(main())
