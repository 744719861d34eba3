from pathlib import Path

import polars as pl
from deltalake import write_deltalake

from benchmarks.rewrites import rewrites_since, rewritten_share, table_versions


def _data_files(table: Path) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in table.glob("*.parquet")}


def test_a_night_that_replaces_a_slice_of_a_one_file_table_rewrites_it_whole(
    tmp_path: Path,
) -> None:
    orders, payments = tmp_path / "silver" / "orders", tmp_path / "silver" / "payments"
    days = pl.DataFrame({"d": [1, 1, 2, 3], "amount": [10, 20, 30, 40]})
    write_deltalake(str(orders), days.to_arrow())
    write_deltalake(str(payments), days.to_arrow())
    (bronze := tmp_path / "bronze" / "orders").mkdir(parents=True)
    write_deltalake(str(bronze), days.to_arrow())
    before = table_versions(tmp_path)
    first_file = _data_files(orders)
    payments_file = _data_files(payments)

    # Day 3 replaced: the one file holding every day is removed, all four rows rewritten.
    new_day = pl.DataFrame({"d": [3], "amount": [41]})
    write_deltalake(str(orders), new_day.to_arrow(), mode="overwrite", predicate="d = 3")
    # An append adds a file and removes none.
    write_deltalake(str(payments), new_day.to_arrow(), mode="append")
    # A table the night creates.
    write_deltalake(str(tmp_path / "gold" / "kpi"), new_day.to_arrow())

    found = rewrites_since(tmp_path, before)

    assert before == {"silver/orders": 0, "silver/payments": 0}  # bronze is read, not written
    assert set(found) == {"silver/orders", "silver/payments", "gold/kpi"}
    replaced = found["silver/orders"]
    added_file = (_data_files(orders).keys() - first_file.keys()).pop()
    assert (replaced["commits"], replaced["files_removed"], replaced["files_added"]) == (1, 1, 1)
    assert replaced["operations"] == {"WRITE": 1}
    assert replaced["bytes_removed"] == replaced["table_bytes_before"] == sum(first_file.values())
    assert (
        replaced["bytes_added"] == replaced["table_bytes_after"] == _data_files(orders)[added_file]
    )
    assert rewritten_share(replaced) == 1.0
    appended = found["silver/payments"]
    assert (appended["files_removed"], appended["files_added"]) == (0, 1)
    assert appended["table_bytes_before"] == sum(payments_file.values())
    assert appended["table_files_after"] == 2
    assert rewritten_share(appended) == 0.0
    assert found["gold/kpi"]["commits"] == 1
    assert rewritten_share(found["gold/kpi"]) is None  # new: nothing of it existed to rewrite
