"""The platform's surrogate-key rule, written out for the peers.

`retail_platform.transforms.keys.stable_key` documents it: the first 8 bytes (big-endian,
signed) of the 64-byte BLAKE2b digest of the UTF-8 text of the natural key's parts joined with
the unit separator; null when any part is null. The equality check proves the peers match it.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

KEY_SEPARATOR = "\x1f"


# The first 8 bytes of the digest as a big-endian signed integer: the same value as
# int.from_bytes on a slice, and the loop the platform runs (peers pay no slower hashing).
_FIRST_INT64 = struct.Struct(">q").unpack_from


def stable_key_text(text: str | None) -> int | None:
    """Key of an already joined natural key text."""
    if text is None:
        return None
    return _FIRST_INT64(hashlib.blake2b(text.encode("utf-8")).digest())[0]


def stable_keys(texts: Iterable[str | None]) -> list[int | None]:
    blake2b, first_int64 = hashlib.blake2b, _FIRST_INT64  # local names: this loop is hot
    return [
        None if text is None else first_int64(blake2b(text.encode("utf-8")).digest())[0]
        for text in texts
    ]
