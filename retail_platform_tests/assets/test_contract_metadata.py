"""Contracts rendered as Dagster metadata: descriptions name the columns they come from."""

import dagster as dg
import polars as pl

from retail_platform.assets.contract_metadata import asset_metadata, column_lineage, column_schema
from retail_platform.assets.gold import star
from retail_platform.contracts.model import MONEY, Column, TableContract, derived

SMALL = TableContract(
    name="daily",
    description="A small table.",
    columns=(
        Column("day", pl.Date, "Calendar day", nullable=False),
        derived("amount", MONEY, "Sum of line amounts", "silver/lines.amount", "silver/fx.rate"),
        derived("count", pl.Int64, "Lines that day.", "silver/lines.line_id"),
        Column("email", pl.String, "Contact", pii="email", masking="hmac_token"),
    ),
    primary_key=("day",),
)


def test_each_derived_column_description_names_its_upstream_columns() -> None:
    schema = column_schema(SMALL)

    assert {column.name: column.description for column in schema.columns} == {
        "day": "Calendar day",
        "amount": "Sum of line amounts. Computed from silver/lines.amount, silver/fx.rate.",
        "count": "Lines that day. Computed from silver/lines.line_id.",
        "email": "Contact",
    }


def test_column_schema_carries_types_constraints_and_pii_tags() -> None:
    columns = {column.name: column for column in column_schema(SMALL).columns}

    assert columns["day"].type == "Date"
    assert columns["day"].constraints == dg.TableColumnConstraints(nullable=False, unique=True)
    assert columns["amount"].constraints == dg.TableColumnConstraints(nullable=False, unique=False)
    assert columns["email"].tags == {"pii": "email", "pii_masking": "hmac_token"}
    assert columns["day"].tags == {}
    assert asset_metadata(SMALL)["primary_key"] == "day"


def test_column_lineage_points_at_the_declared_asset_columns() -> None:
    lineage = column_lineage(SMALL)

    assert lineage is not None
    # Dagster keeps each column's deps in its own order: compared as sets.
    assert {name: set(deps) for name, deps in lineage.deps_by_column.items()} == {
        "amount": {
            dg.TableColumnDep(asset_key=dg.AssetKey(["silver", "lines"]), column_name="amount"),
            dg.TableColumnDep(asset_key=dg.AssetKey(["silver", "fx"]), column_name="rate"),
        },
        "count": {
            dg.TableColumnDep(asset_key=dg.AssetKey(["silver", "lines"]), column_name="line_id")
        },
    }
    assert column_lineage(TableContract("plain", "No lineage.", SMALL.columns[:1])) is None


def test_the_kpi_revenue_column_shows_where_it_comes_from_on_the_gold_asset() -> None:
    schema = star.kpi_daily.specs_by_key[dg.AssetKey(["gold", "kpi_daily"])].metadata[
        "dagster/column_schema"
    ]
    revenue = next(column for column in schema.columns if column.name == "revenue")

    assert revenue.description == (
        "Sum of net_amount_reporting of orders placed that day (cancelled and returned orders "
        "count 0). Computed from gold/fact_order_lines.net_amount_reporting."
    )
