"""Reference data that gold uses: the exchange rates into the reporting currency.

The rates come from a published reference-rate feed (the ECB's euro foreign exchange reference
rates, resources/fx.py), cross rates through EUR into the reporting currency that the
``fx_feed`` resource is configured with (RETAIL_REPORTING_CURRENCY, EUR by default). The ECB
publishes once per working day around 16:00 CET; the asset refreshes on weekday evenings.
"""

import dagster as dg
import polars as pl

from retail_platform.assets.specs import asset_kwargs
from retail_platform.automation.policies import pool_for
from retail_platform.contracts import silver
from retail_platform.resources.fx import FxRatesFeedResource
from retail_platform.transforms.silver.fx_rates import check_reporting_currency, rates_to_reporting

REFRESH_CRON = "0 18 * * 1-5"  # UTC: after the ECB's ~16:00 CET publication


@dg.asset(
    **asset_kwargs("silver", silver.FX_RATES, {"delta", "polars"}),
    pool=pool_for(dg.AssetKey(["silver", silver.FX_RATES.name])),
    # No upstream: built when missing, refreshed after the ECB publishes. (`on_missing()` only
    # fires for targets added after the condition: on a fresh instance it never built the
    # table, and every fact waited for it.)
    automation_condition=(
        (
            dg.AutomationCondition.missing()
            & ~dg.AutomationCondition.in_progress()
            & ~dg.AutomationCondition.execution_failed()
        )
        | dg.AutomationCondition.on_cron(REFRESH_CRON)
    ).with_label("when_missing_or_after_the_ecb_publishes"),
)
def fx_rates(fx_feed: FxRatesFeedResource) -> dg.Output[pl.DataFrame]:
    """Rates of every feed currency (and EUR) into the reporting currency, from 1999 on."""
    units = fx_feed.rates_per_base()
    check_reporting_currency(units, fx_feed.reporting_currency)
    frame = rates_to_reporting(units.lazy(), fx_feed.reporting_currency).collect()
    return dg.Output(
        frame,
        metadata={
            "reporting_currency": fx_feed.reporting_currency,
            "currencies": ", ".join(sorted(frame.get_column("currency").unique().to_list())),
            "first_rate_date": str(frame.get_column("rate_date").min()),
            "last_rate_date": str(frame.get_column("rate_date").max()),
            "feed": fx_feed.url,
        },
    )
