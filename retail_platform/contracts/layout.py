"""Where the clustering columns of the lake's tables are declared: on their contracts.

`declared_clustering` gathers `TableContract.cluster_by` of every silver and gold table, keyed
`<layer>/<table>`, for the lake resource (resources/lake_layout.py sorts each write by them).
Bronze and quarantine tables are not clustered: they are replaced by ingestion batch (a run
id, not ordered in time), so no sort order would narrow those rewrites.
"""

from __future__ import annotations

from retail_platform.contracts import gold, silver


def declared_clustering() -> dict[str, list[str]]:
    """`{"silver/orders": ["order_id"], "gold/kpi_daily": ["date_key"], ...}`: the tables
    whose contract declares clustering columns."""
    tables = [("silver", contract) for contract in silver.SILVER_TABLES]
    tables += [("gold", contract) for contract in gold.GOLD_TABLES]
    return {
        f"{layer}/{contract.name}": list(contract.cluster_by)
        for layer, contract in tables
        if contract.cluster_by
    }
