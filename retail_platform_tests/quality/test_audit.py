"""The pre-commit audit holds a fact to every blocking rule its checks apply, on small frames."""

from __future__ import annotations

import polars as pl

from retail_platform.contracts import gold
from retail_platform.quality.audit import GOLD_RULES
from retail_platform.quality.fx_coverage import fx_coverage_outcome
from retail_platform.quality.unknown_members import unknown_share_outcome


def test_the_audit_of_every_converted_fact_includes_the_fx_and_unknown_member_rules() -> None:
    # Counted by hand from the contracts: keys, required columns and foreign keys (3) for every
    # fact, plus fx coverage for the three converted facts, plus unknown members for the two
    # facts that point to product, partner or customer members; order lines add amounts and
    # reconciliation.
    assert len(GOLD_RULES["fact_payments"]) == 3 + 1
    assert len(GOLD_RULES["fact_partner_sales"]) == 3 + 1 + 1
    assert len(GOLD_RULES["fact_order_lines"]) == 3 + 2 + 1 + 1
    assert gold.FACT_PAYMENTS.name in GOLD_RULES


def test_a_line_without_a_rate_fails_the_audit_naming_currency_and_dates() -> None:
    facts = pl.LazyFrame(
        {
            "currency": ["USD", "USD", "EUR", "USD"],
            "date_key": [19970101, 19970102, 19970101, 19990104],
            "fx_rate": [None, None, 1.0, 0.85],
        }
    )
    outcome = fx_coverage_outcome(facts, "EUR")
    assert not outcome.passed
    assert outcome.counts["lines_without_rate"] == 2
    assert outcome.counts["missing"] == (
        "no USD -> EUR rate on or before 1997-01-01, 1997-01-02 (2 lines)"
    )
    assert outcome.sample.rows() == [("USD", 2, "19970101,19970102")]


def test_every_line_with_a_rate_passes() -> None:
    facts = pl.LazyFrame({"currency": ["GBP"], "date_key": [20260101], "fx_rate": [1.17]})
    assert fx_coverage_outcome(facts, "EUR").passed


def test_the_unknown_member_share_fails_only_above_its_limit() -> None:
    # 20 lines, 1 on the unknown product: 5% = the default limit, which passes; a second line
    # on the unknown customer makes 2 of 20 = 10%, which fails.
    keys = list(range(1, 21))
    product = [-1] + [7] * 19
    customer = [3] * 20
    at_limit = pl.LazyFrame({"line_key": keys, "product_key": product, "customer_key": customer})
    outcome = unknown_share_outcome(at_limit, ["line_key"], ["product_key", "customer_key"])
    assert outcome.passed
    assert outcome.counts["rows_with_unknown_member"] == 1
    assert outcome.counts["unknown_share"] == 0.05

    customer[5] = -1
    above = pl.LazyFrame({"line_key": keys, "product_key": product, "customer_key": customer})
    outcome = unknown_share_outcome(above, ["line_key"], ["product_key", "customer_key"])
    assert not outcome.passed
    assert outcome.counts["rows_with_unknown_member"] == 2
    assert outcome.sample.rows() == [(1, -1, 3), (6, 7, -1)]
