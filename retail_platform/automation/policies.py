"""How the assets run when nobody watches: automation conditions, retries and pools.

Applied to the asset definitions in `definitions.py`, so the asset modules stay about data:

- silver, gold and warehouse follow their upstreams declaratively (no schedule per asset) and
  wait for the upstream blocking checks; their checks run in the same automated runs;
- the source-facing bronze assets (and the Snowflake loads) retry with exponential backoff;
- every asset's op runs in a pool named after the table it writes; with the instance's pool
  limit of 1 (`dagster.yaml`, `docker/dagster.yaml`) two runs never write one table at once.
"""

import warnings
from collections.abc import Iterable, Sequence

import dagster as dg
from dagster._record import replace  # AssetCheckSpec is a record: no public copy-with

from retail_platform.automation.jobs import DATED_SOURCES

FOLLOWING_LAYERS = ("silver", "gold", "warehouse")
SOURCE_LAYER = "bronze"
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


def pools_by_key(assets: Iterable[dg.AssetsDefinition]) -> dict[dg.AssetKey, str]:
    """The pool each asset's table is written under (a multi-asset shares its op's pool)."""
    return {
        key: assets_def.op.pool or pool_for(key)
        for assets_def in assets
        if isinstance(assets_def.node_def, dg.OpDefinition)
        for key in assets_def.keys
    }


def apply_operational_policies(
    assets: Sequence[dg.AssetsDefinition],
) -> list[dg.AssetsDefinition]:
    """Pools and retries on every op, automation conditions on the following layers."""
    return [
        with_check_conditions(_with_automation(_with_op_settings(assets_def)))
        for assets_def in assets
    ]


def with_check_conditions(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """Checks on silver, gold and warehouse assets run with their asset's automated runs.

    Works on asset checks definitions and on checks declared inside an asset's op alike; a
    check that already has a condition keeps it.
    """
    attributes = assets_def.get_attributes_dict()
    specs: dict[str, dg.AssetCheckSpec] = dict(attributes["check_specs_by_output_name"] or {})
    followed = {
        name: replace(spec, automation_condition=with_its_asset_condition(spec.asset_key))
        for name, spec in specs.items()
        if spec.asset_key.path[0] in FOLLOWING_LAYERS and spec.automation_condition is None
    }
    if not followed:
        return assets_def
    attributes["check_specs_by_output_name"] = {**specs, **followed}
    # The class's own constructor: an AssetChecksDefinition stays one.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return type(assets_def)(**attributes)


def _layer(assets_def: dg.AssetsDefinition) -> str:
    return min(assets_def.keys).path[0]


def _retry_policy_for(layer: str) -> dg.RetryPolicy | None:
    return {SOURCE_LAYER: SOURCE_RETRY_POLICY, WAREHOUSE_LAYER: WAREHOUSE_RETRY_POLICY}.get(layer)


def _with_op_settings(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    op = assets_def.node_def
    if not isinstance(op, dg.OpDefinition):
        return assets_def
    return with_op_properties(
        assets_def,
        pool=op.pool or pool_for(min(assets_def.keys)),
        retry_policy=op.retry_policy or _retry_policy_for(_layer(assets_def)),
    )


def with_op_properties(
    assets_def: dg.AssetsDefinition, *, pool: str | None, retry_policy: dg.RetryPolicy | None
) -> dg.AssetsDefinition:
    """The same assets, computed by a copy of their op with another pool and retry policy.

    Dagster has no public setter for these on a built AssetsDefinition; this mirrors what
    `OpDefinition.with_replaced_properties` copies, so nothing else about the op changes.
    """
    op = assets_def.op
    replaced = dg.OpDefinition.dagster_internal_init(
        compute_fn=op.compute_fn,
        name=op.name,
        ins={input_def.name: dg.In.from_definition(input_def) for input_def in op.input_defs},
        outs={output_def.name: dg.Out.from_definition(output_def) for output_def in op.output_defs},
        description=op.description,
        config_schema=op.config_schema,
        required_resource_keys=op.required_resource_keys,
        tags=op.tags,
        version=None,
        code_version=op._version,  # as with_replaced_properties: no public getter
        retry_policy=retry_policy,
        pool=pool,
    )
    attributes = {**assets_def.get_attributes_dict(), "node_def": replaced}
    return dg.AssetsDefinition.dagster_internal_init(**attributes)


def _with_automation(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    if _layer(assets_def) not in FOLLOWING_LAYERS:
        return assets_def
    condition = follow_upstreams_condition()
    # An asset module may choose its own condition; only fill in the ones left unset.
    return assets_def.map_asset_specs(
        lambda spec: (
            spec
            if spec.automation_condition is not None
            else spec.replace_attributes(automation_condition=condition)
        )
    )
