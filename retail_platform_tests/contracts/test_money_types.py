"""Money to the cent in every layer's types: prices keep 4 decimals, amounts 2, rates 10."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import gold, silver
from retail_platform.sql_text import snowflake_type


def test_partner_prices_keep_four_decimals_from_silver_to_snowflake() -> None:
    for contract in (silver.PARTNER_SALES, gold.FACT_PARTNER_SALES):
        assert contract.column("unit_price").dtype == pl.Decimal(18, 4), contract.name
    fact = gold.FACT_PARTNER_SALES
    assert snowflake_type("unit_price", fact.column("unit_price").dtype) == "NUMBER(18,4)"
    assert snowflake_type("net_amount", fact.column("net_amount").dtype) == "NUMBER(18,2)"
    assert snowflake_type("fx_rate", fact.column("fx_rate").dtype) == "NUMBER(20,10)"
