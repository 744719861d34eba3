"""The platform's surrogate-key rule, written out for the peers.

`retail_platform.transforms.keys.stable_key` documents it: XXH64 with seed 42 of the UTF-8 text
of the natural key's parts joined with the unit separator (0x1F), reinterpreted as a signed
Int64; null when any part is null. DuckDB and pandas have no XXH64, so their peers call the
reference implementation's binding (the xxhash package) once per value, as a user of those
engines would; PySpark computes the same rule natively (`xxhash64(concat_ws(chr(31), ...))`).
The equality check proves every peer matches the platform.
"""

from __future__ import annotations

from collections.abc import Iterable

import xxhash

KEY_SEPARATOR = "\x1f"
KEY_SEED = 42
_SIGN = 1 << 63
_WRAP = 1 << 64


def stable_key_text(text: str | None) -> int | None:
    """Key of an already joined natural key text."""
    if text is None:
        return None
    digest = xxhash.xxh64_intdigest(text.encode("utf-8"), KEY_SEED)
    return digest - _WRAP if digest >= _SIGN else digest


def stable_keys(texts: Iterable[str | None]) -> list[int | None]:
    xxh64, seed, sign, wrap = xxhash.xxh64_intdigest, KEY_SEED, _SIGN, _WRAP  # hot loop
    keys: list[int | None] = []
    for text in texts:
        if text is None:
            keys.append(None)
            continue
        digest = xxh64(text.encode("utf-8"), seed)
        keys.append(digest - wrap if digest >= sign else digest)
    return keys
