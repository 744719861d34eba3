"""The load state: what each load recorded per partition, in the control schema's table.

One row per (SCHEMA.TABLE, partition): the fingerprint and row count of the rows loaded, and
which load wrote them. Next to them, under SCHEMA.TABLE#format (no identifier holds "#"), the
format those fingerprints were made in (plan.format_fingerprint): when it differs, every
partition is read again once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from retail_platform.resources.warehouse.objects import ObjectNames
from retail_platform.resources.warehouse.plan import PartitionDigest
from retail_platform.resources.warehouse.runner import StatementRunner

STATE_ROWS_PER_INSERT = 500
FORMAT_SUFFIX, FORMAT_KEY = "#format", "*"


class LoadState:
    """One table's load state, read and written over a load's runner."""

    def __init__(self, runner: StatementRunner, names: ObjectNames, table: str, format_: str):
        self.runner = runner
        self.names = names
        self.state_key = names.state_key(table)
        self.format_state_key = self.state_key + FORMAT_SUFFIX
        self.format = format_

    def read(self) -> tuple[dict[str, tuple[str, int]], str | None]:
        """The recorded (fingerprint, rows) per partition, and the recorded format."""
        rows = self.runner.run(
            "read load state",
            "SELECT TABLE_NAME, PARTITION_KEY, FINGERPRINT, ROW_COUNT "
            f"FROM {self.names.state_table()} WHERE TABLE_NAME IN (?, ?)",
            [self.state_key, self.format_state_key],
        )
        previous = {
            key: (fingerprint, int(count))
            for name, key, fingerprint, count in rows
            if name == self.state_key
        }
        markers = [fingerprint for name, _, fingerprint, _ in rows if name != self.state_key]
        return previous, markers[0] if markers else None

    def clear(self, keys: list[str] | None) -> None:
        """Forget the recorded state of the partitions this load rewrites (all when keys=None)."""
        sql = f"DELETE FROM {self.names.state_table()} WHERE TABLE_NAME = ?"
        params: list[Any] = [self.state_key]
        if keys is not None:
            sql += f" AND PARTITION_KEY IN ({', '.join('?' for _ in keys)})"
            params += list(keys)
        self.runner.run("clear load state", sql, params)

    def record_format(self, load_id: str, loaded_at: datetime) -> None:
        self.runner.run(
            "clear load format",
            f"DELETE FROM {self.names.state_table()} WHERE TABLE_NAME = ?",
            [self.format_state_key],
        )
        marker = PartitionDigest(FORMAT_KEY, None, self.format, 0)
        self.write([marker], load_id, loaded_at, self.format_state_key)

    def write(
        self,
        digests: list[PartitionDigest],
        load_id: str,
        loaded_at: datetime,
        state_key: str | None = None,
    ) -> None:
        columns = "TABLE_NAME, PARTITION_KEY, FINGERPRINT, ROW_COUNT, LOAD_ID, LOADED_AT"
        for start in range(0, len(digests), STATE_ROWS_PER_INSERT):
            chunk = digests[start : start + STATE_ROWS_PER_INSERT]
            params: list[Any] = []
            for digest in chunk:
                params += [state_key or self.state_key, digest.key, digest.fingerprint]
                params += [digest.rows, load_id, loaded_at.isoformat(sep=" ")]
            rows = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in chunk)
            self.runner.run(
                "record load state",
                f"INSERT INTO {self.names.state_table()} ({columns}) VALUES {rows}",
                params,
            )
