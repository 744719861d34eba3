"""Header handling for delivered files: matching aliases, repeated and colliding headers.

Partners spell headers their own way ('InvoiceNo', 'Invoice No', 'invoice_no'); headers are
compared by :func:`normalised_header`. Two delivered headers that would land in one column are
never merged silently: the file is rejected, naming both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence


def normalised_header(header: str) -> str:
    """How headers compare: lower case, letters and digits only ('Invoice No' = 'invoiceno')."""
    return re.sub(r"[^0-9a-z]+", "", header.strip().lower())


def match_headers(
    headers: Sequence[str], aliases: Mapping[str, Sequence[str]]
) -> tuple[dict[str, str], list[str]]:
    """(delivered header -> contract column, contract columns no header matched).

    A column is matched by its own name or any alias; each missing one is reported with the
    spellings that would have been accepted.
    """
    by_normal = {normalised_header(header): header for header in headers}
    rename: dict[str, str] = {}
    missing: list[str] = []
    for column, spellings in aliases.items():
        found = [
            by_normal[n] for n in map(normalised_header, (column, *spellings)) if n in by_normal
        ]
        if found:
            rename[found[0]] = column
        else:
            missing.append(f"{column} (as {' or '.join(dict.fromkeys((column, *spellings)))})")
    return rename, missing


def repeated_headers(headers: Sequence[str]) -> list[str]:
    """Headers a file repeats (polars reads the second 'x' as 'x_duplicated_0')."""
    present = set(headers)
    repeated = []
    for header in headers:
        match = re.fullmatch(r"(.*)_duplicated_\d+", header)
        if match and match.group(1) in present:
            repeated.append(repr(match.group(1)))
    return list(dict.fromkeys(repeated))


def colliding_headers(targets: Mapping[str, str], constants: Mapping[str, str]) -> str:
    """'A' and 'a ' both become 'a', ...: delivered headers that would land in one column."""
    sources: dict[str, list[str]] = {}
    for delivered, target in targets.items():
        sources.setdefault(target, []).append(delivered)
    for name in constants:
        sources.setdefault(name, []).append(f"<{name} from the object key>")
    clashes = [
        f"{' and '.join(repr(d) for d in delivered)} both become {target!r}"
        for target, delivered in sources.items()
        if len(delivered) > 1
    ]
    return "; ".join(clashes)
