"""Foreign keys of the gold star schema, resolved to the column they reference.

A contract names the referenced table only (``{"customer_key": "dim_customer"}``); the
referenced column is that table's single-column primary key. Both the Snowflake FOREIGN KEY
declarations and the Power BI relationships are built from this one resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retail_platform.contracts.model import TableContract


@dataclass(frozen=True)
class ForeignKey:
    table: str
    column: str
    ref_table: str
    ref_column: str

    @property
    def constraint_name(self) -> str:
        return f"FK_{self.table}__{self.column}".upper()


def resolve_foreign_keys(
    contracts: Sequence[TableContract],
) -> tuple[list[ForeignKey], list[str]]:
    """(resolved keys, problems): a key that cannot be declared is reported, never guessed."""
    by_name = {contract.name: contract for contract in contracts}
    keys: list[ForeignKey] = []
    problems: list[str] = []
    for contract in contracts:
        for column, ref_table in contract.foreign_keys.items():
            label = f"{contract.name}.{column} -> {ref_table}"
            referenced = by_name.get(ref_table)
            if column not in contract.column_names:
                problems.append(f"{label}: {contract.name} has no column {column}")
            elif referenced is None:
                problems.append(f"{label}: {ref_table} is not a gold table")
            elif len(referenced.primary_key) != 1:
                problems.append(
                    f"{label}: {ref_table} needs a single-column primary key to be referenced, "
                    f"it has {list(referenced.primary_key)}"
                )
            elif (ref_column := referenced.primary_key[0]) and (
                contract.column(column).dtype != referenced.column(ref_column).dtype
            ):
                problems.append(f"{label}: type differs from {ref_table}.{ref_column}")
            else:
                keys.append(ForeignKey(contract.name, column, ref_table, ref_column))
    return keys, problems
