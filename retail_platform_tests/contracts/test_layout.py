"""The clustering declarations the lake sorts writes by (contracts/layout.py)."""

from retail_platform.contracts import bronze, gold, silver
from retail_platform.contracts.layout import declared_clustering


def test_every_clustering_column_is_a_column_of_its_table() -> None:
    for contract in (*silver.SILVER_TABLES, *gold.GOLD_TABLES):
        assert set(contract.cluster_by) <= set(contract.column_names), contract.name


def test_tables_cluster_by_the_column_their_incremental_rewrites_filter_on() -> None:
    clustering = declared_clustering()
    # Gold slices replace the rows of some dates, cohorts or customers (assets/gold/).
    for fact in ("fact_order_lines", "fact_payments", "fact_partner_sales", "kpi_daily"):
        assert clustering[f"gold/{fact}"][0] == "date_key"
    assert clustering["gold/fact_customer_retention"][0] == "cohort_month"
    assert clustering["gold/dim_customer"][0] == "customer_id"
    # Silver merges match on the key (assets/silver/incremental.py).
    assert clustering["silver/orders"] == ["order_id"]
    assert clustering["silver/order_lines"] == ["order_id"]
    assert clustering["silver/payments"] == ["payment_id"]
    assert clustering["silver/partner_sales"] == ["invoice_date"]


def test_bronze_and_quarantine_tables_are_not_clustered() -> None:
    clustering = declared_clustering()
    assert all(name.split("/")[0] in ("silver", "gold") for name in clustering)
    assert not any(name.endswith("_quarantine") for name in clustering)
    assert silver.quarantine_of(bronze.ORDERS).cluster_by == ()
