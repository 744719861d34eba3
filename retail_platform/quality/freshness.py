"""Freshness SLAs on what people query: gold tables and their Snowflake copies.

Declared on each gold and warehouse asset as a time-window freshness policy (the asset modules
pass these to their decorators): an asset whose last materialization is older than its SLA is
*failing* its policy, shown in the catalog and on the asset's page. The instance evaluates them
when `freshness: enabled: true` is set in its dagster.yaml (both instance files set it).
"""

from datetime import timedelta

import dagster as dg

# Nightly ingestion lands at 02:00 UTC; 26 hours leaves two hours for a slow or retried night.
GOLD_SLA = timedelta(hours=26)
# The load follows gold within minutes; one more hour for a Snowflake retry.
WAREHOUSE_SLA = timedelta(hours=27)

GOLD_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=GOLD_SLA)
WAREHOUSE_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=WAREHOUSE_SLA)
