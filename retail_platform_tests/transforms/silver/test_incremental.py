"""Affected keys, the rows of those keys, and the merge source of an incremental silver run."""

from datetime import UTC, date, datetime

import polars as pl

from retail_platform.transforms.silver.incremental import (
    ALL_VERSIONS,
    NEW_WINS,
    children_of,
    cleaned_keys,
    merge_source,
    rows_of_keys,
    settle_by_current_version,
)
from retail_platform.transforms.silver.validation import clean_text, parse_date


def test_keys_are_read_as_validation_reads_them() -> None:
    bronze = pl.LazyFrame({"order_id": [" O1", "O1", None, "  ", "O2 "]})

    keys = cleaned_keys(bronze, ["order_id"]).collect().sort("order_id")

    assert keys.get_column("order_id").to_list() == ["O1", "O2"]


def test_every_version_of_an_affected_key_is_read_whatever_its_padding() -> None:
    bronze = pl.LazyFrame({"order_id": ["O1", " O1", "O2", "O3"], "v": [1, 2, 3, 4]})

    found = rows_of_keys(bronze, pl.DataFrame({"order_id": ["O1", "O3"]}), ["order_id"])

    assert found.collect().sort("v").rows() == [("O1", 1), (" O1", 2), ("O3", 4)]


def test_a_composite_key_matches_on_every_column() -> None:
    bronze = pl.LazyFrame({"a": ["1", "1 ", "2"], "b": ["x", "y", "x"], "v": [1, 2, 3]})

    found = rows_of_keys(bronze, pl.DataFrame({"a": ["1"], "b": ["y"]}), ["a", "b"])

    assert found.collect().rows() == [("1 ", "y", 2)]


def test_the_merge_source_upserts_recomputed_rows_and_deletes_keys_left_without_one() -> None:
    current = pl.LazyFrame({"order_id": ["O1", "O2", "O3"], "status": ["paid", "paid", "paid"]})
    candidate = pl.LazyFrame({"order_id": ["O1"], "status": ["shipped"]})
    affected = pl.LazyFrame({"order_id": ["O1", "O2"]})  # O3 is not affected: untouched

    source = merge_source(candidate, current, affected, ["order_id"]).collect()

    # A delete carries its key only: the merge matches by key and writes nothing of it.
    assert source.sort("order_id").rows() == [("O1", "shipped", False), ("O2", None, True)]


def test_children_of_deleted_parents_are_flagged_for_deletion() -> None:
    lines = pl.LazyFrame({"order_id": ["O1", "O1", "O2"], "line_number": [1, 2, 1]})

    flagged = children_of(lines, pl.LazyFrame({"order_id": ["O1"]}), ["order_id"]).collect()

    assert flagged.rows() == [("O1", 1, True), ("O1", 2, True)]


def test_a_composite_key_with_readers_matches_parsed_and_upper_cased_values() -> None:
    readers = {"day": parse_date, "code": lambda text: clean_text(text).str.to_uppercase()}
    bronze = pl.LazyFrame(
        {"day": [" 2026-10-01", "2026-10-01", "2026-10-02", "bad"],
         "code": ["a1", "A1 ", "a1", "a1"], "v": [1, 2, 3, 4]}
    )  # fmt: skip

    keys = cleaned_keys(bronze.filter(pl.col("v") == 1), ["day", "code"], readers).collect()
    found = rows_of_keys(bronze, keys, ["day", "code"], readers).collect()

    assert keys.rows() == [(date(2026, 10, 1), "A1")]
    assert found.sort("v").get_column("v").to_list() == [1, 2]


def _at(hour: int | None) -> datetime | None:
    return None if hour is None else datetime(2026, 10, 1, hour, tzinfo=UTC)


def test_silver_s_version_settles_which_new_versions_change_a_key() -> None:
    # New latest versions (rows only added to bronze) against silver's current rows.
    new_latest = pl.LazyFrame(
        {"order_id": ["NEW", "LATER", "OLDER", "TIE", "NULL_NEW", "OVER_NULL"],
         "updated_at": [_at(9), _at(10), _at(7), _at(8), None, _at(6)]},
        schema={"order_id": pl.String, "updated_at": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    current = pl.LazyFrame(
        {"order_id": ["LATER", "OLDER", "TIE", "NULL_NEW", "OVER_NULL", "UNTOUCHED"],
         "updated_at": [_at(8), _at(8), _at(8), _at(8), None, _at(8)], "status": ["paid"] * 6},
        schema={"order_id": pl.String, "updated_at": pl.Datetime("us", "UTC"),
                "status": pl.String},
    )  # fmt: skip

    settled = settle_by_current_version(new_latest, current, ["order_id"], "updated_at")

    # NEW: silver lacks it, so it has no older valid version; LATER (10:00 > 08:00) and
    # OVER_NULL (silver's null loses to any version) win outright; OLDER (07:00 < 08:00)
    # changes nothing; TIE needs the tie-break against silver's row, and a null new version
    # its older versions: both are read from all their versions.
    assert sorted(settled.collect().rows()) == [
        ("LATER", NEW_WINS), ("NEW", NEW_WINS), ("NULL_NEW", ALL_VERSIONS),
        ("OVER_NULL", NEW_WINS), ("TIE", ALL_VERSIONS)]  # fmt: skip


def test_a_composite_key_is_settled_on_all_its_columns() -> None:
    schema = {"invoice_no": pl.String, "stock_code": pl.String, "ingested_at": pl.Int64}
    new_latest = pl.LazyFrame(
        {"invoice_no": ["1", "1"], "stock_code": ["A", "B"], "ingested_at": [5, 5]}, schema=schema
    )
    current = pl.LazyFrame(
        {"invoice_no": ["1", "2"], "stock_code": ["B", "A"], "ingested_at": [6, 1]}, schema=schema
    )

    settled = settle_by_current_version(
        new_latest, current, ["invoice_no", "stock_code"], "ingested_at"
    ).collect()

    # 1/A is new; 1/B's silver row (6) is newer than 5; 2/A is another line.
    assert settled.rows() == [("1", "A", NEW_WINS)]
