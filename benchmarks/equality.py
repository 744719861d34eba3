"""Is an engine's gold equal to the platform's? Checked before the engine's time counts.

The reference is the gold the platform's Dagster assets wrote to the lake. A candidate matches
when every gold table has the same columns and, after casting to the reference's types (which
must succeed strictly) and sorting by the primary key, the same rows.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from benchmarks.platform_api import GOLD_OUTPUTS, gold_primary_keys
from retail_platform.transforms.gold.dimensions import UNKNOWN_KEY


def read_table(folder: Path, name: str, table_format: str) -> pl.DataFrame:
    """A gold table as an engine wrote it: a Delta table, one Parquet file, or a folder."""
    if table_format == "delta":
        return pl.read_delta(str(folder / name))
    single = folder / f"{name}.parquet"
    if single.is_file():
        return pl.read_parquet(single)
    return pl.read_parquet(str(folder / name / "*.parquet"))


def compare_table(reference: pl.DataFrame, candidate: pl.DataFrame, key: tuple[str, ...]) -> str:
    """Empty when equal, else the first difference in one line."""
    missing = [c for c in reference.columns if c not in candidate.columns]
    extra = [c for c in candidate.columns if c not in reference.columns]
    if missing or extra:
        return f"columns differ: missing {missing}, unexpected {extra}"
    if reference.height != candidate.height:
        return f"{candidate.height} rows, expected {reference.height}"
    try:
        candidate = candidate.select(
            pl.col(name).cast(dtype, strict=True) for name, dtype in reference.schema.items()
        )
    except pl.exceptions.PolarsError as error:
        return f"values do not fit the platform's types: {str(error).splitlines()[0]}"
    try:
        assert_frame_equal(
            reference.sort(key, nulls_last=True),
            candidate.sort(key, nulls_last=True),
            check_exact=True,
        )
    except AssertionError as error:
        return " ".join(str(error).split())[:300]
    return ""


def compare_gold(reference_folder: Path, candidate_folder: Path, table_format: str) -> dict:
    """{table: difference} for the tables that differ; empty when all are equal."""
    keys = gold_primary_keys()
    differences = {}
    for name in GOLD_OUTPUTS:
        reference = pl.read_delta(str(reference_folder / name))
        try:
            candidate = read_table(candidate_folder, name, table_format)
        except (OSError, pl.exceptions.PolarsError) as error:
            differences[name] = f"cannot read the output: {error}"
            continue
        if len(keys[name]) == 1 and reference.schema[keys[name][0]] == pl.Int64:
            # Dimensions carry an unknown member (key -1) that the peers do not build; the
            # platform's own direct build has it too. Compared without it on both sides.
            known = pl.col(keys[name][0]) != UNKNOWN_KEY
            reference, candidate = reference.filter(known), candidate.filter(known)
        difference = compare_table(reference, candidate, keys[name])
        if difference:
            differences[name] = difference
    return differences
