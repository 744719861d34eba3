"""Runs statements on one cursor, records Snowflake query ids and names the failing step."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


class WarehouseLoadError(RuntimeError):
    """A load or governance step failed; the message names the table and the step."""


@dataclass(frozen=True)
class QueryResult:
    rows: list[tuple]
    columns: list[str]
    rowcount: int

    def first_row_by_name(self) -> dict[str, Any]:
        """The first row keyed by lower-cased column name (MERGE and DML report counts so)."""
        if not self.rows:
            return {}
        return {name.lower(): value for name, value in zip(self.columns, self.rows[0], strict=True)}


class StatementRunner:
    """Runs one load's statements, records query ids and names the failing step."""

    def __init__(self, cursor: Any, table: str) -> None:
        self.cursor = cursor
        self.table = table
        self.query_ids: list[str] = []

    def execute(self, step: str, sql: str, params: Sequence[Any] | None = None) -> QueryResult:
        try:
            self.cursor.execute(sql, params)
        except Exception as error:
            raise WarehouseLoadError(f"{self.table}: step {step!r} failed: {error}") from error
        finally:
            if self.cursor.sfqid and self.cursor.sfqid not in self.query_ids[-1:]:
                self.query_ids.append(self.cursor.sfqid)
        description = self.cursor.description
        rows = self.cursor.fetchall() if description else []
        columns = [column[0] for column in description or ()]
        rowcount = self.cursor.rowcount if self.cursor.rowcount is not None else len(rows)
        return QueryResult(rows, columns, rowcount)

    def run(self, step: str, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return self.execute(step, sql, params).rows

    def try_run(self, step: str, sql: str) -> None:
        """Best-effort statement: a failure is logged, never raised."""
        try:
            self.run(step, sql)
        except WarehouseLoadError as error:
            logger.info("skipped: %s", error)
