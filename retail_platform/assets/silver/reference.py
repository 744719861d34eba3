"""Reference data that silver and gold use: the exchange rates into the reporting currency."""

import dagster as dg
import polars as pl

from retail_platform.assets.specs import asset_kwargs
from retail_platform.contracts import silver
from retail_platform.transforms.silver.fx_rates import (
    REFERENCE_RATES_VERSION,
    REPORTING_CURRENCY,
    reference_fx_rates,
)


@dg.asset(
    **asset_kwargs("silver", silver.FX_RATES, {"delta", "polars"}),
    # The version follows the shipped rates, so the UI shows when they changed since the
    # last build.
    code_version=REFERENCE_RATES_VERSION,
    # No upstream to follow: built when missing, again when the shipped rates change.
    # (`on_missing()` only fires for targets added after the condition: on a fresh instance
    # it never built the table, and every fact waited for it.)
    automation_condition=(
        (
            dg.AutomationCondition.missing()
            & ~dg.AutomationCondition.in_progress()
            & ~dg.AutomationCondition.execution_failed()
        )
        | dg.AutomationCondition.code_version_changed()
    ).with_label("when_missing_or_rates_change"),
)
def fx_rates() -> dg.Output[pl.DataFrame]:
    """Exchange rates shipped with the platform (transforms/silver/fx_rates.py)."""
    frame = reference_fx_rates().collect()
    return dg.Output(
        frame,
        metadata={
            "reporting_currency": REPORTING_CURRENCY,
            "currencies": ", ".join(sorted(frame.get_column("currency").unique().to_list())),
        },
    )
