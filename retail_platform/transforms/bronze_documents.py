"""MongoDB documents -> bronze rows: one row per document version, keyed by its `_id`.

Nothing a document holds is dropped. Fields the contract maps become its columns; any other
field, top-level or inside a mapped parent (``address.geo``), becomes a column of its own named
by its path (``address_geo``), as text (objects as JSON), and the lake adds it to the table.
Silver then fails closed on it until pii/policy.yaml classifies it. A mapped field holding an
object or a list where the contract expects one value is kept as its JSON text and the row
gets an ``_error`` naming the field, so silver quarantines it with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from retail_platform.contracts.model import TableContract
from retail_platform.transforms.bronze import (
    Ingestion,
    as_text,
    drift_column_name,
    dump,
    payload_columns,
    records_to_frame,
)

ID_FIELD = "_id"


def documents_to_frame(
    documents: Sequence[Mapping[str, Any]],
    contract: TableContract,
    *,
    ingestion: Ingestion,
    collection: str,
    field_paths: Mapping[str, str] | None = None,
    required: Sequence[str] = (),
) -> pl.DataFrame:
    """One row per document; `_source_key` is `<collection>/<_id as extended JSON>`."""
    paths = {name: (field_paths or {}).get(name, name) for name in payload_columns(contract)}
    frame = records_to_frame(
        documents,
        contract,
        ingestion=ingestion,
        source_key=collection,
        field_paths=field_paths,
        required=required,
    )
    keys = [document_source_key(collection, document.get(ID_FIELD)) for document in documents]
    extras: list[dict[str, str | None]] = []
    errors, raws = frame.get_column("_error").to_list(), frame.get_column("_raw").to_list()
    for index, document in enumerate(documents):
        if not isinstance(document, Mapping):
            extras.append({})
            continue
        extras.append(
            {
                drift_column_name(path.replace(".", "_"), contract): as_text(value)
                for path, value in unmapped_fields(document, paths.values())
            }
        )
        problems = wrong_shapes(document, paths.values())
        if problems:
            errors[index] = "; ".join(filter(None, [errors[index], *problems]))
            raws[index] = dump(document)
    names = list(dict.fromkeys(name for extra in extras for name in extra))
    added = pl.DataFrame(
        {name: [extra.get(name) for extra in extras] for name in names},
        schema=dict.fromkeys(names, pl.String),
    )
    return pl.concat(
        [
            frame.with_columns(
                pl.Series("_source_key", keys, dtype=pl.String),
                pl.Series("_error", errors, dtype=pl.String),
                pl.Series("_raw", raws, dtype=pl.String),
            ),
            added,
        ],
        how="horizontal",
    )


def unmapped_fields(
    document: Mapping[str, Any], paths: Sequence[str] | Any
) -> list[tuple[str, Any]]:
    """(dotted path, value) of every field no contract path reads, nested ones included.

    Inside a parent that contract paths read into (``address``), each unread key is its own
    field (``address.geo``); anything else unread is kept whole at its top-level key.
    """
    mapped = set(paths) | {ID_FIELD}
    parents = {path.rsplit(".", 1)[0] for path in mapped if "." in path}
    found: list[tuple[str, Any]] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if path in mapped:
                continue
            if path in parents and isinstance(value, Mapping):
                walk(value, f"{path}.")
            elif path not in parents:
                found.append((path, value))

    walk(document, "")
    return found


def wrong_shapes(document: Mapping[str, Any], paths: Sequence[str] | Any) -> list[str]:
    """'address.city: expected one value, got an object' for each mapped field that holds an
    object or a list (the parents of mapped fields are checked by records_to_frame)."""
    problems = []
    for path in paths:
        value: Any = document
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, Mapping | list):
            kind = "an object" if isinstance(value, Mapping) else "a list"
            problems.append(f"{path}: expected one value, got {kind}")
    return problems


def document_source_key(collection: str, document_id: Any) -> str:
    # bson (pymongo's) is imported where used: loading the code location should not pay for it.
    from bson import json_util

    return f"{collection}/{json_util.dumps(document_id)}"


def document_id_of(collection: str, source_key: str) -> Any:
    """The `_id` back from a `_source_key` written by documents_to_frame (ObjectIds included)."""
    from bson import json_util

    return json_util.loads(source_key.removeprefix(f"{collection}/"))
