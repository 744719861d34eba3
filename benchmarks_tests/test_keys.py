import polars as pl

from benchmarks.peers.keys import KEY_SEPARATOR, stable_key_text, stable_keys
from retail_platform.transforms.keys import stable_key


def test_peer_key_rule_matches_the_platform_stable_key() -> None:
    frame = pl.DataFrame({"order_id": ["O1", "O00000042", None], "line_number": [1, 12, 3]})

    platform = frame.select(stable_key("order_id", "line_number")).to_series().to_list()
    peers = stable_keys(
        [None if o is None else f"{o}{KEY_SEPARATOR}{n}" for o, n in frame.iter_rows()]
    )

    assert peers == platform
    assert peers[2] is None


def test_peer_key_of_c1_is_the_pinned_spark_literal() -> None:
    # The literal retail_platform_tests/transforms/test_keys.py pins (PySpark's xxhash64('C1')).
    assert stable_key_text("C1") == -3220996657417140566
    assert stable_key_text(None) is None


def test_the_duckdb_key_udf_counts_its_values_and_time() -> None:
    import pyarrow as pa

    from benchmarks.peers.duckdb_gold import _KeyUdf

    udf = _KeyUdf()
    keys = udf(pa.array(["C1", None]))

    assert keys.to_pylist() == [-3220996657417140566, None]
    assert udf.values == 2
    assert udf.seconds > 0


def test_the_key_finding_names_the_duckdb_udf_share_of_its_build() -> None:
    from benchmarks.findings import _duckdb_key_udf

    run = {"status": "ok", "result": {"build": {"seconds": 9.84}, "key_udf": {"seconds": 4.26}}}
    results = {"gold": {"runs": {"duckdb": [run]}}}

    assert _duckdb_key_udf(results) == " (4.3 s of its 9.8 s build)"
    assert _duckdb_key_udf({"gold": {"runs": {}}}) == ""
