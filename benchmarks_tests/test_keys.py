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
