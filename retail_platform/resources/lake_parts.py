"""One Delta commit written from a stream of frames: a table rebuilt in bounded memory.

delta-rs takes an Arrow stream (a RecordBatchReader) as well as a whole table: it writes the
batches to Parquet files as they come and commits once at the end, so the writer never holds
the table, and a reader (or a process killed mid-write) sees the table before or after the
commit, never half of it. When producing a part fails (an audit of that part, a parse error),
nothing is committed and the producer's own exception is raised, not delta-rs' wrapper of it.

delta-rs pulls the stream from one of its async runtime's threads, where any other Delta call
(a scan, a version, an audit record: what building and auditing a gold part does) panics
("Cannot start a runtime from within a runtime"). So the parts are produced on a thread of
their own, one at a time, while the writer waits for each.

`LakeResource.replace_table_in_parts` is the only caller (it knows where tables live).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl


def write_parts(
    uri: str,
    storage_options: dict[str, str],
    parts: Iterable[pl.DataFrame],
    schema: pl.Schema,
    **how: Any,
) -> int:
    """Write ``parts`` (each with ``schema``) as one delta-rs write, one commit; `how` is
    write_deltalake's mode, schema_mode, ... Returns the number of rows written."""
    import pyarrow as pa
    from deltalake import write_deltalake

    arrow_schema = pl.DataFrame(schema=schema).to_arrow().schema
    raised: list[BaseException] = []
    written = 0

    def batches() -> Iterator[pa.RecordBatch]:
        nonlocal written
        try:
            for part in _produced_apart(parts):
                if part.schema != schema:
                    raise ValueError(
                        f"{uri}: a part has schema {dict(part.schema)}, expected {dict(schema)}"
                    )
                written += part.height
                # Cast: Polars may export a view or large type where the empty frame did not.
                yield from part.to_arrow().cast(arrow_schema).to_batches()
        except BaseException as error:
            raised.append(error)
            raise

    reader = pa.RecordBatchReader.from_batches(arrow_schema, batches())
    try:
        write_deltalake(uri, reader, storage_options=storage_options or None, **how)
    except Exception:
        if raised:  # the producer's error, as raised: delta-rs wraps it in a DeltaError
            raise raised[0] from None
        raise
    return written


def _produced_apart(parts: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """``parts``, each produced on a thread outside delta-rs' runtime (module docstring)."""
    iterator = iter(parts)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lake-parts") as producer:
        while (part := producer.submit(next, iterator, None).result()) is not None:
            yield part
