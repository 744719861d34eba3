"""Names Power BI users see, and the quoting rules of TMDL, DAX and M."""

from __future__ import annotations

import re
import uuid

ACRONYMS = {"id": "ID", "sku": "SKU", "iso": "ISO", "kpi": "KPI", "pii": "PII"}
TABLE_PREFIXES = ("dim_", "fact_")
# TMDL names holding any of these must be single-quoted (TMDL language reference).
_TMDL_QUOTE_NEEDED = re.compile(r"[.=:'\s]")
_LINEAGE_NAMESPACE = uuid.UUID("8a5e4c1e-2f0b-4d1c-9a39-6f1d6b0c7e21")


def display_name(snake: str) -> str:
    """order_line_key -> Order Line Key, iso_week -> ISO Week, order_id -> Order ID."""
    return " ".join(ACRONYMS.get(word, word.capitalize()) for word in snake.split("_") if word)


def table_display_name(table: str) -> str:
    """dim_customer -> Customer, fact_order_lines -> Order Lines, kpi_daily -> KPI Daily."""
    for prefix in TABLE_PREFIXES:
        if table.startswith(prefix):
            return display_name(table.removeprefix(prefix))
    return display_name(table)


def tmdl_name(name: str) -> str:
    """A TMDL object name, single-quoted (quotes doubled) when it needs to be."""
    if _TMDL_QUOTE_NEEDED.search(name):
        return "'" + name.replace("'", "''") + "'"
    return name


def dax_table(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def dax_column(table: str, column: str) -> str:
    return f"{dax_table(table)}[{column.replace(']', ']]')}]"


def m_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def lineage_tag(*parts: str) -> str:
    """A stable GUID per object, so regenerating keeps report bindings and refresh history."""
    return str(uuid.uuid5(_LINEAGE_NAMESPACE, "|".join(parts)))
