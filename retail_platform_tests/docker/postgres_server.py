"""A throwaway PostgreSQL from Debian's packages: initdb in a temp dir, a free port, stopped after.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` account the
Debian package creates (the folder is handed to it); otherwise as the current user.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEBIAN_BINARIES = "/usr/lib/postgresql/*/bin"
SERVER_USER_WHEN_ROOT = "postgres"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str


def find_binaries() -> Path | None:
    """The newest Debian PostgreSQL bin folder, or the one on PATH, or None."""
    candidates = sorted(
        glob.glob(DEBIAN_BINARIES), key=lambda path: int(Path(path).parent.name), reverse=True
    )
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVER_USER_WHEN_ROOT, "--", *command]


@contextlib.contextmanager
def running_postgres(binaries: Path) -> Iterator[PostgresServer]:
    password = "dagster-test-only"
    # Not under pytest's root-only tmp tree: the server account must reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="retail-postgres-"))
    data, log = folder / "data", folder / "server.log"
    (folder / "password").write_text(password)
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER_WHEN_ROOT)
        os.chown(folder, account.pw_uid, account.pw_gid)
        os.chown(folder / "password", account.pw_uid, account.pw_gid)
    port = _free_port()

    def run(program: str, *args: str) -> None:
        command = _as_server_user([str(binaries / program), *args])
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    try:
        run("initdb", "-D", str(data), "-U", "dagster", "--auth=scram-sha-256",
            f"--pwfile={folder / 'password'}", "--no-sync")  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run("pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        try:
            yield PostgresServer("127.0.0.1", port, "dagster", password)
        finally:
            # -w: returns once the server and all its backends have exited.
            run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
