"""Expected surrogate keys from the xxhash package, independent of the code under test."""

import xxhash


def expected_key(*parts: str) -> int:
    digest = xxhash.xxh64_intdigest("\x1f".join(parts).encode(), seed=42)
    return digest - (1 << 64) if digest >= 1 << 63 else digest
