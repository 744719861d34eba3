"""Expected surrogate keys, computed with hashlib independently of the code under test."""

import hashlib


def expected_key(*parts: str) -> int:
    text = "\x1f".join(parts)
    return int.from_bytes(hashlib.blake2b(text.encode()).digest()[:8], "big", signed=True)
