"""Source records -> bronze frames: every value kept as delivered text, nothing dropped.

Pure functions (no I/O): the bronze assets fetch, these shape. A record that cannot be read as
the expected structure still becomes a row, with `_error` saying why and `_raw` holding it; a
file that lacks a required column becomes one such row holding the whole file.

Files may carry columns the contract does not know (schema drift): they are kept, as text, under
a snake_case name after the contract's columns, and the lake adds them to the table.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from retail_platform.contracts.bronze import INGESTION_COLUMNS, PARTITION_DATE
from retail_platform.contracts.model import TableContract
from retail_platform.transforms.bronze_headers import (
    colliding_headers,
    match_headers,
    repeated_headers,
)

_INGESTION_NAMES = {column.name for column in INGESTION_COLUMNS} | {PARTITION_DATE.name}
REJECTED = "rejected file"


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
            row[name] = _as_json(value) if name in json_columns else as_text(value)
            if problem:
                problems.append(problem)
        missing = [name for name in required if row.get(name) in (None, "")]
        if missing:
            problems.insert(0, f"missing required field(s): {', '.join(missing)}")
        if problems:
            row |= {"_error": "; ".join(dict.fromkeys(problems)), "_raw": dump(record)}
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
    delimiter: str = ",",
    encoding: str = "utf-8",
    header_aliases: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """Reads a CSV file (gzipped or not) as text columns; an unreadable file is one error row.

    ``encoding`` is strict: bytes that do not decode reject the file, naming the position,
    rather than being replaced silently. ``header_aliases`` (contract column -> accepted
    headers, matched ignoring case, spaces and punctuation) replaces ``rename`` when given.
    """
    columns = payload_columns(contract)

    def reject(reason: str, raw: str) -> pl.DataFrame:
        row = _malformed_row(columns, raw, f"{REJECTED} {source_key}: {reason}")
        return _with_ingestion([row], contract, ingestion, source_key, None)

    try:
        content = gunzip_if_compressed(content)
    except (OSError, EOFError, zlib.error) as error:
        return reject(f"unreadable gzip: {error}", _base64(content))
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as error:
        return reject(
            f"undecodable bytes: not {encoding} at byte {error.start} "
            f"({content[error.start : error.end]!r})",
            _base64(content),
        )
    except LookupError:
        return reject(f"unknown encoding {encoding!r}", _base64(content))
    try:
        parsed = pl.read_csv(
            io.BytesIO(text.encode("utf-8")), infer_schema=False, separator=delimiter
        )
    except Exception as error:  # polars raises several types for one cause: a bad file
        return reject(f"unreadable CSV: {error}", text)
    repeated = repeated_headers(parsed.columns)
    if repeated:
        return reject(f"CSV header(s) repeated: {', '.join(repeated)}", text)
    if header_aliases is not None:
        rename, missing = match_headers(parsed.columns, header_aliases)
        if missing:
            return reject(f"CSV lacks required column(s): {', '.join(missing)}", text)
    return _delivered_table_to_frame(
        parsed,
        contract,
        ingestion=ingestion,
        source_key=source_key,
        rename=rename,
        constants=constants or {},
        required=required,
        file_kind="CSV",
        whole_file=lambda: text,
        raw_row=_csv_row_as_delivered,
    )


def rejected_file_frame(
    contract: TableContract, *, ingestion: Ingestion, source_key: str, content: bytes, reason: str
) -> pl.DataFrame:
    """The whole file as one error row (content in base64): for any failure while reading it."""
    row = _malformed_row(
        payload_columns(contract), _base64(content), f"{REJECTED} {source_key}: {reason}"
    )
    return _with_ingestion([row], contract, ingestion, source_key, None)


def parquet_to_frame(
    content: bytes,
    contract: TableContract,
    *,
    ingestion: Ingestion,
    source_key: str,
    rename: Mapping[str, str],
    required: Sequence[str] = (),
) -> pl.DataFrame:
    """Reads a Parquet file with every value cast to its text; an unreadable file is one error
    row whose `_raw` is the file in base64."""
    columns = payload_columns(contract)
    try:
        parsed = pl.read_parquet(io.BytesIO(content))
    except Exception as error:
        row = _malformed_row(
            columns, _base64(content), f"{REJECTED} {source_key}: unreadable Parquet: {error}"
        )
        return _with_ingestion([row], contract, ingestion, source_key, None)
    return _delivered_table_to_frame(
        parsed.with_columns(pl.all().cast(pl.String)),
        contract,
        ingestion=ingestion,
        source_key=source_key,
        rename=rename,
        constants={},
        required=required,
        file_kind="Parquet",
        whole_file=lambda: _base64(content),
        raw_row=lambda values: dump(list(values)),
    )


def json_array_to_frame(
    content: bytes,
    contract: TableContract,
    *,
    ingestion: Ingestion,
    source_key: str,
    required: Sequence[str] = (),
) -> pl.DataFrame:
    """A JSON file holding an array of objects: one row per element (see records_to_frame)."""
    columns = payload_columns(contract)
    text = content.decode("utf-8", "replace")
    try:
        parsed = json.loads(gunzip_if_compressed(content).decode("utf-8"))
    except (ValueError, OSError, EOFError, zlib.error) as error:
        row = _malformed_row(columns, text, f"{REJECTED} {source_key}: unreadable JSON: {error}")
        return _with_ingestion([row], contract, ingestion, source_key, None)
    if not isinstance(parsed, list):
        reason = f"{REJECTED} {source_key}: not a JSON array but {type(parsed).__name__}"
        return _with_ingestion(
            [_malformed_row(columns, text, reason)], contract, ingestion, source_key, None
        )
    return records_to_frame(
        parsed, contract, ingestion=ingestion, source_key=source_key, required=required
    )


def rejected_file_reason(frame: pl.DataFrame) -> str | None:
    """The reason when the frame is a whole file rejected (one row holding the file), else None."""
    if frame.height != 1:
        return None
    error = frame.get_column("_error").item()
    return error if error is not None and error.startswith(REJECTED) else None


def gunzip_if_compressed(content: bytes) -> bytes:
    """The bytes, decompressed when they start with the gzip magic number."""
    return gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content


def _delivered_table_to_frame(
    parsed: pl.DataFrame,
    contract: TableContract,
    *,
    ingestion: Ingestion,
    source_key: str,
    rename: Mapping[str, str],
    constants: Mapping[str, str],
    required: Sequence[str],
    file_kind: str,
    whole_file: Callable[[], str],
    raw_row: Callable[[Sequence[Any]], str],
) -> pl.DataFrame:
    """A file read as text columns -> bronze rows; a missing column rejects the whole file."""
    columns = payload_columns(contract)
    missing_headers = [source for source in rename if source not in parsed.columns]
    if missing_headers:
        missing = ", ".join(missing_headers)
        reason = f"{REJECTED} {source_key}: {file_kind} lacks required column(s): {missing}"
        row = _malformed_row(columns, whole_file(), reason)
        return _with_ingestion([row], contract, ingestion, source_key, None)
    drift = {
        name: drift_column_name(name, contract)
        for name in parsed.columns
        if name not in rename and name not in constants
    }
    collisions = colliding_headers({**rename, **drift}, constants)
    if collisions:
        reason = f"{REJECTED} {source_key}: {file_kind} headers collide: {collisions}"
        row = _malformed_row(columns, whole_file(), reason)
        return _with_ingestion([row], contract, ingestion, source_key, None)
    frame = parsed.rename({**rename, **drift}).with_columns(
        [pl.lit(value, pl.String).alias(name) for name, value in constants.items()]
    )
    # Columns a profile declares optional and the file does not carry read as null.
    frame = frame.with_columns(
        pl.lit(None, pl.String).alias(name) for name in columns if name not in frame.columns
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
    malformed = frame.get_column("_error").is_not_null()
    raw: list[str | None] = [None] * parsed.height
    for index in malformed.arg_true().to_list():  # only the few malformed rows
        raw[index] = raw_row(parsed.row(index))
    frame = frame.with_columns(pl.Series("_raw", raw, dtype=pl.String))
    extra = list(drift.values())
    frame = frame.select([*columns, *extra, "_error", "_raw"])
    return _add_ingestion(frame, contract, ingestion, source_key, None, extra)


def drift_column_name(delivered: str, contract: TableContract) -> str:
    """snake_case of a column the contract does not know; suffixed if it would shadow one."""
    name = re.sub(r"[^0-9a-z]+", "_", delivered.strip().lower()).strip("_") or "unnamed"
    if name[0].isdigit():
        name = f"column_{name}"
    return f"{name}_delivered" if name in contract.column_names else name


def _csv_row_as_delivered(values: Sequence[Any]) -> str:
    """One row re-encoded as CSV with all of the file's columns (quoted as needed)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow("" if v is None else v for v in values)
    return buffer.getvalue()


def _base64(content: bytes) -> str:
    return "base64:" + base64.b64encode(content).decode()


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


def as_text(value: Any) -> str | None:
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
    return dump(value)


def _as_json(value: Any) -> str | None:
    return None if value is None else dump(value)


def dump(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)


def _malformed_row(columns: Sequence[str], record: Any, reason: str) -> dict[str, str | None]:
    raw = record if isinstance(record, str) else dump(record)
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
    extra: Sequence[str] = (),
) -> pl.DataFrame:
    frame = frame.with_columns(
        pl.lit(ingestion.source).alias("_source"),
        pl.lit(ingestion.batch_id).alias("_batch_id"),
        pl.lit(ingestion.ingested_at).cast(pl.Datetime("us", "UTC")).alias("_ingested_at"),
        pl.lit(source_key).alias("_source_key"),
    )
    if PARTITION_DATE.name in contract.column_names:
        frame = frame.with_columns(pl.lit(partition_date, pl.Date).alias(PARTITION_DATE.name))
    schema = dict(contract.polars_schema) | dict.fromkeys(extra, pl.String)
    return frame.select([*contract.column_names, *extra]).cast(schema)
