"""How the assets run when nobody watches: automation conditions, retries and pools.

Each asset and check declares these where it is defined (the asset modules call the helpers
here), so what the UI shows is what the decorator says:

- silver, gold and warehouse follow their upstreams declaratively (no schedule per asset) and
  wait for the upstream blocking checks; their checks run in the same automated runs;
- one retry policy per kind of failure: the source-facing bronze assets (network, throttling,
  a failover) and the Snowflake loads retry with exponential backoff and jitter; silver and gold
  do not retry (a rerun cannot fix bad data);
- every asset's op runs in a pool named after the table it writes; with the instance's pool
  limit of 1 (`dagster.yaml`, `docker/dagster.yaml`) two runs never write one table at once.
  The four S3 assets also upsert one shared table, `bronze/s3_manifest`, so they share its pool.
"""

from collections.abc import Iterable

import dagster as dg

from retail_platform.automation.jobs import DATED_SOURCES

FOLLOWING_LAYERS = ("silver", "gold", "warehouse")
WAREHOUSE_LAYER = "warehouse"

# Sources fail transiently (429s, S3 hiccups, a Mongo failover): 30 s, 60 s, 120 s, +/- jitter.
SOURCE_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
# The load is idempotent (delete + insert in one transaction), so a retry is always safe.
WAREHOUSE_RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def follow_upstreams_condition() -> dg.AutomationCondition:
    """Materialize when an upstream updated, once nothing upstream is missing or running and
    every upstream blocking check passed (or runs in the same run, where it gates this asset).

    Unlike `eager()`, a never-materialized asset waits for an upstream update instead of firing
    on the first tick, and the daily-partitioned dated sources count as present when some of
    their days are missing (yesterday's partition arrives at 02:00; older gaps are backfills).
    """
    return (
        dg.AutomationCondition.any_deps_updated().since_last_handled()
        & ~dg.AutomationCondition.any_deps_missing().ignore(DATED_SOURCES)
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
        & dg.AutomationCondition.all_deps_blocking_checks_passed()
    ).with_label("follow_upstreams")


def with_its_asset_condition(asset_key: dg.AssetKey) -> dg.AutomationCondition:
    """For a check: run in the same run as its asset, when the automation requests the asset.

    Without it, an automated run holds only the checks defined inside the asset's own op:
    separate blocking checks would never run, and everything downstream would wait forever.
    Only the checked asset counts, not a check's additional deps: a fact's foreign-key check
    must not run because a dimension is rebuilt while the fact itself is not.
    """
    return (
        dg.AutomationCondition.any_deps_match(dg.AutomationCondition.will_be_requested())
        .allow(dg.AssetSelection.assets(asset_key))
        .with_label("with_its_asset")
    )


def build_automation_sensor(
    minimum_interval_seconds: int = 30, live: bool = False
) -> dg.AutomationConditionSensorDefinition:
    """Evaluates the conditions; stopped until an operator turns it on (docs/operations.md),
    except in live local mode, where it runs from the start."""
    description = "Declarative automation: silver, gold and warehouse follow their upstreams."
    if live:
        description = (
            "LIVE LOCAL MODE (on because `make dev` started the stand-ins live): "
            + description
            + " Stopped by default elsewhere: an operator turns it on."
        )
    return dg.AutomationConditionSensorDefinition(
        "retail_automation",
        target=dg.AssetSelection.all(),
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=(dg.DefaultSensorStatus.RUNNING if live else dg.DefaultSensorStatus.STOPPED),
        run_tags={"retail/trigger": "automation"},
        description=description,
    )


def pool_for(key: dg.AssetKey) -> str:
    """The pool of the table an asset writes: `delta/<layer>/<table>` or `snowflake/<table>`."""
    layer, table = key.path[0], key.path[-1]
    return f"snowflake/{table}" if layer == WAREHOUSE_LAYER else f"delta/{layer}/{table}"


# The S3 assets each write their own table and all upsert the manifest of ingested objects:
# one pool for the four serialises the manifest writes (and their own tables with them).
S3_MANIFEST_POOL = "delta/bronze/s3_manifest"


def check_condition(asset_key: dg.AssetKey) -> dg.AutomationCondition | None:
    """The condition of a check on `asset_key`: with its asset on the following layers, none
    (run with the asset's own runs) on bronze."""
    return with_its_asset_condition(asset_key) if asset_key.path[0] in FOLLOWING_LAYERS else None


def pools_by_key(assets: Iterable[dg.AssetsDefinition]) -> dict[dg.AssetKey, str]:
    """The pool each asset's table is written under (a multi-asset shares its op's pool)."""
    return {
        key: assets_def.op.pool or pool_for(key)
        for assets_def in assets
        if isinstance(assets_def.node_def, dg.OpDefinition)
        for key in assets_def.keys
    }
