"""Source records -> bronze frames: every value kept as delivered text, nothing dropped.

Pure functions (no I/O): the bronze assets fetch, these shape. A record that cannot be read as
the expected structure still becomes a row, with `_error` saying why and `_raw` holding it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from retail_platform.contracts.bronze import INGESTION_COLUMNS, PARTITION_DATE
from retail_platform.contracts.model import TableContract

_INGESTION_NAMES = {column.name for column in INGESTION_COLUMNS} | {PARTITION_DATE.name}


@dataclass(frozen=True)
class Ingestion:
    """Who ingested a batch and when: the same for every row of one materialization."""

    source: str
    batch_id: str
    ingested_at: datetime


def payload_columns(contract: TableContract) -> list[str]:
    return [name for name in contract.column_names if name not in _INGESTION_NAMES]


def records_to_frame(
    records: Sequence[Any],
    contract: TableContract,
    *,
    ingestion: Ingestion,
    source_key: str,
    field_paths: Mapping[str, str] | None = None,
    required: Sequence[str] = (),
    json_columns: Collection[str] = (),
    partition_date: date | None = None,
) -> pl.DataFrame:
    """One bronze row per record. `field_paths` maps a column to a dotted path in nested records.

    `json_columns` are kept as the JSON encoding of whatever was delivered, so a nested value
    that arrives as a string (e.g. double-encoded) stays distinguishable from a real list.
    """
    columns = payload_columns(contract)
    paths = {name: (field_paths or {}).get(name, name) for name in columns}
    rows: list[dict[str, str | None]] = []
    for record in records:
        if not isinstance(record, dict):
            rows.append(_malformed_row(columns, record, "record is not a JSON object"))
            continue
        row: dict[str, str | None] = {}
        problems: list[str] = []
        for name, path in paths.items():
            value, problem = _lookup(record, path)
            row[name] = _as_json(value) if name in json_columns else _as_text(value)
            if problem:
                problems.append(problem)
        missing = [name for name in required if row.get(name) in (None, "")]
        if missing:
            problems.insert(0, f"missing required field(s): {', '.join(missing)}")
        if problems:
            row |= {"_error": "; ".join(dict.fromkeys(problems)), "_raw": _dump(record)}
        else:
            row |= {"_error": None, "_raw": None}
        rows.append(row)
    return _with_ingestion(rows, contract, ingestion, source_key, partition_date)


def csv_to_frame(
    content: bytes,
    contract: TableContract,
    *,
    ingestion: Ingestion,
    source_key: str,
    rename: Mapping[str, str],
    constants: Mapping[str, str] | None = None,
    required: Sequence[str] = (),
) -> pl.DataFrame:
    """Reads a CSV file as text columns; a file that cannot be parsed becomes one error row."""
    columns = payload_columns(contract)
    try:
        parsed = pl.read_csv(io.BytesIO(content), infer_schema=False, encoding="utf8")
    except Exception as error:
        row = _malformed_row(
            columns, content.decode("utf-8", "replace"), f"unreadable CSV: {error}"
        )
        return _with_ingestion([row], contract, ingestion, source_key, None)
    missing_headers = [source for source in rename if source not in parsed.columns]
    if missing_headers:
        reason = f"CSV {source_key} lacks column(s): {', '.join(missing_headers)}"
        row = _malformed_row(columns, content.decode("utf-8", "replace"), reason)
        return _with_ingestion([row], contract, ingestion, source_key, None)
    frame = parsed.rename(dict(rename)).with_columns(
        [pl.lit(value, pl.String).alias(name) for name, value in (constants or {}).items()]
    )
    missing_required = [
        pl.when(pl.col(name).is_null() | (pl.col(name) == "")).then(pl.lit(name))
        for name in required
    ]
    error = (
        pl.concat_str(missing_required, separator=", ", ignore_nulls=True)
        if missing_required
        else pl.lit(None, pl.String)
    )
    frame = frame.with_columns(
        pl.when(error.is_not_null() & (error != ""))
        .then(pl.lit("missing required field(s): ") + error)
        .alias("_error")
    )
    raw_rows = _csv_rows_as_delivered(parsed, frame.get_column("_error").is_not_null())
    frame = frame.with_columns(pl.Series("_raw", raw_rows, dtype=pl.String))
    return _add_ingestion(
        frame.select([*columns, "_error", "_raw"]), contract, ingestion, source_key, None
    )


def _csv_rows_as_delivered(parsed: pl.DataFrame, malformed: pl.Series) -> list[str | None]:
    """Each malformed row re-encoded as CSV with all of the file's columns (quoted as needed)."""
    raw: list[str | None] = [None] * parsed.height
    for index in malformed.arg_true().to_list():  # only the few malformed rows
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(
            "" if value is None else value for value in parsed.row(index)
        )
        raw[index] = buffer.getvalue()
    return raw


def _lookup(record: Mapping[str, Any], path: str) -> tuple[Any, str | None]:
    """The value at a dotted path, and a problem when a parent is present but not an object."""
    value: Any = record
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if value is None:
            return None, None
        if not isinstance(value, Mapping):
            parent = ".".join(parts[:depth])
            return None, f"{parent}: expected an object, got {type(value).__name__}"
        value = value.get(part)
    return value, None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return _dump(value)


def _as_json(value: Any) -> str | None:
    return None if value is None else _dump(value)


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)


def _malformed_row(columns: Sequence[str], record: Any, reason: str) -> dict[str, str | None]:
    raw = record if isinstance(record, str) else _dump(record)
    return {name: None for name in columns} | {"_error": reason, "_raw": raw}


def _with_ingestion(
    rows: list[dict[str, str | None]],
    contract: TableContract,
    ingestion: Ingestion,
    source_key: str,
    partition_date: date | None,
) -> pl.DataFrame:
    text_schema = {name: pl.String for name in [*payload_columns(contract), "_error", "_raw"]}
    frame = (
        pl.DataFrame(rows, schema=text_schema, orient="row")
        if rows
        else pl.DataFrame(schema=text_schema)
    )
    return _add_ingestion(frame, contract, ingestion, source_key, partition_date)


def _add_ingestion(
    frame: pl.DataFrame,
    contract: TableContract,
    ingestion: Ingestion,
    source_key: str,
    partition_date: date | None,
) -> pl.DataFrame:
    frame = frame.with_columns(
        pl.lit(ingestion.source).alias("_source"),
        pl.lit(ingestion.batch_id).alias("_batch_id"),
        pl.lit(ingestion.ingested_at).cast(pl.Datetime("us", "UTC")).alias("_ingested_at"),
        pl.lit(source_key).alias("_source_key"),
    )
    if PARTITION_DATE.name in contract.column_names:
        frame = frame.with_columns(pl.lit(partition_date, pl.Date).alias(PARTITION_DATE.name))
    return frame.select(contract.column_names).cast(dict(contract.polars_schema))
