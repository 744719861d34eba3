"""MongoDB documents -> bronze rows: one row per document version, keyed by its `_id`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from bson import json_util

from retail_platform.contracts.model import TableContract
from retail_platform.transforms.bronze import Ingestion, records_to_frame


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
    frame = records_to_frame(
        documents,
        contract,
        ingestion=ingestion,
        source_key=collection,
        field_paths=field_paths,
        required=required,
    )
    keys = [document_source_key(collection, document.get("_id")) for document in documents]
    return frame.with_columns(pl.Series("_source_key", keys, dtype=pl.String))


def document_source_key(collection: str, document_id: Any) -> str:
    return f"{collection}/{json_util.dumps(document_id)}"


def document_id_of(collection: str, source_key: str) -> Any:
    """The `_id` back from a `_source_key` written by documents_to_frame (ObjectIds included)."""
    return json_util.loads(source_key.removeprefix(f"{collection}/"))
