"""The platform's surrogate-key rule, written out for the peers.

`retail_platform.transforms.keys.stable_key` documents it: the first 8 bytes (big-endian,
signed) of the 64-byte BLAKE2b digest of the UTF-8 text of the natural key's parts joined with
the unit separator; null when any part is null. The equality check proves the peers match it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

KEY_SEPARATOR = "\x1f"


def stable_key_text(text: str | None) -> int | None:
    """Key of an already joined natural key text."""
    if text is None:
        return None
    digest = hashlib.blake2b(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], byteorder="big", signed=True)


def stable_keys(texts: Iterable[str | None]) -> list[int | None]:
    return [stable_key_text(text) for text in texts]
