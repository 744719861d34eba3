"""Incremental silver: each run reads only the bronze batches added or replaced since the last.

After its audited commits, a run records the bronze version it consumed (the lake's progress
log, resources/lake_progress.py). The next run asks the Delta log which ingestion batches
(`_batch_id`) have rows in files that entered or left bronze since then: a new day, a new or
replaced S3 object, a new MongoDB batch, a backfilled or corrected partition. Then:

1. The rows of those batches are validated: their quarantine rows replace the quarantine rows
   of the same batches (one commit), so a re-delivered or corrected batch never counts twice.
2. When the batches only added rows to bronze, silver's version of each key they carry
   settles it: a newer valid version wins, an older one changes nothing; only ties (and null
   versions) need the key's older versions. Otherwise (a batch replaced), every key those
   rows carry, before or after the change, is recomputed from all its bronze rows
   (transforms/silver/incremental.py) and merged, or deleted when no valid row is left; the
   result equals a full rebuild's (the property tests hold it so).
3. The quarantine check's whole-table figures come from bronze's rows per source, kept in the
   lake between runs and moved by the batches' rows (no scan of the history).

A full rebuild from all of bronze runs instead, and says why in the metadata, when the run
asks for it (config `full_refresh: true` or the run tag `retail/full_refresh=true`), before the
first recorded progress, when a silver table is missing or its schema differs from the
contract (a contract change), when the recorded bronze version can no longer be read (vacuumed),
or when bronze was replaced whole (a snapshot). A change of validation rules needs a full
refresh too: the batches already consumed are not validated again otherwise. The full rebuild
reads bronze in slices, in bounded memory (rebuild.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from retail_platform.assets.silver.cleaning import (
    Cleaned,
    SilverEntity,
    SilverResults,
    Validated,
    accounting_check,
    clean_validated,
    is_current_schema,
    materialized,
    require_audited,
    silver_multi_asset,
    table_rows,
    validate_rows,
)
from retail_platform.assets.silver.rebuild import (
    ChildTable,
    Refreshed,
    rebuild,
)
from retail_platform.assets.silver.run_mode import SilverRun
from retail_platform.assets.silver.source_counts import keep_rows_per_source, rows_per_source_now
from retail_platform.contracts.model import TableContract
from retail_platform.quality.quarantine import quarantine_by_source_counts, quarantine_check_result
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_progress import BATCH_COLUMN, Progress
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform.transforms.silver.incremental import (
    ALL_VERSIONS,
    DECISION,
    children_of,
    cleaned_keys,
    merge_source,
    rows_of_keys,
    settle_by_current_version,
)
from retail_platform.transforms.silver.keys import among, rows_with_keys
from retail_platform.transforms.silver.latest import DELETE_FLAG, as_deletes, child_merge_source

FULL, INCREMENTAL, UNCHANGED = "full", "incremental", "unchanged"
# Above this many changed batches (e.g. after bronze was compacted) one full pass is cheaper
# than a quarantine predicate listing every batch and a key filter over most of bronze.
MAX_BATCHES = 500


@dataclass(frozen=True)
class Plan:
    mode: str
    reason: str
    bronze_version: int
    since_version: int | None = None
    batches: frozenset[str] = field(default_factory=frozenset)
    files_removed: int = 0
    """Data files that left bronze since ``since_version``: none means rows were only added."""


def plan_refresh(
    lake: LakeResource, entity: SilverEntity, run: SilverRun, children: ChildTable | None
) -> Plan:
    """Full, incremental or unchanged, and why (reported as run metadata)."""
    table = entity.bronze_table
    lake.scan("bronze", table)  # a missing bronze table stops here, with the lake's message
    version = lake.version("bronze", table)
    if run.full_refresh:
        return Plan(FULL, "full refresh requested", version)
    contracts = [entity.silver, entity.quarantine, *([children.contract] if children else [])]
    for contract in contracts:
        if not is_current_schema(lake, contract):
            return Plan(FULL, f"silver.{contract.name} is missing or not in the contract", version)
    progress = lake.progress("silver", entity.silver.name, table)
    if progress is None:
        return Plan(FULL, f"no recorded progress in bronze.{table}", version)
    if progress.source_version == version:
        return Plan(UNCHANGED, f"bronze.{table} unchanged since version {version}", version,
                    progress.source_version)  # fmt: skip
    from deltalake.exceptions import DeltaError  # imported where used, not at load

    try:
        changed = lake.changed_batches("bronze", table, progress.source_version)
    except (DeltaError, OSError, pl.exceptions.PolarsError) as error:
        reason = f"bronze.{table} version {progress.source_version} unreadable: {error}"
        return Plan(FULL, reason, version)
    if changed.whole_table_replaced:
        return Plan(FULL, f"bronze.{table} was replaced whole", changed.version)
    if len(changed.batches) > MAX_BATCHES:
        reason = f"{len(changed.batches)} batches changed (over {MAX_BATCHES})"
        return Plan(FULL, reason, changed.version)
    reason = (
        f"{len(changed.batches)} batches in {changed.files_added} added and "
        f"{changed.files_removed} removed files since version {progress.source_version}"
    )
    return Plan(
        INCREMENTAL,
        reason,
        changed.version,
        progress.source_version,
        changed.batches,
        changed.files_removed,
    )


def refresh_entity(
    lake: LakeResource,
    entity: SilverEntity,
    pii_masking: PiiMaskingResource,
    run: SilverRun,
    children: ChildTable | None = None,
) -> SilverResults:
    plan = plan_refresh(lake, entity, run, children)
    if plan.mode == FULL:
        # Bounded memory: bronze read in chunks, one commit per table (rebuild.py).
        refreshed = rebuild(lake, entity, pii_masking, plan.bronze_version, children)
    else:
        refreshed = _increment(lake, entity, pii_masking, plan, children)
    if plan.mode != UNCHANGED:
        keep_rows_per_source(lake, entity, plan.bronze_version, refreshed.by_source)
    # Recorded after every commit of the run: a run that fails before this point is simply
    # read again from the same version next time (reprocessing a batch is idempotent).
    lake.record_progress(
        "silver",
        entity.silver.name,
        Progress("bronze", entity.bronze_table, plan.bronze_version, plan.mode, run.run_id),
    )
    mode = {"refresh_mode": plan.mode, "refresh_reason": plan.reason,
            "bronze_version": plan.bronze_version}  # fmt: skip
    counts = refreshed.counts | {"rows_out": table_rows(lake, "silver", entity.silver.name)}
    extra = []
    if children is not None and refreshed.children_written is not None:
        extra = [materialized(lake, children.contract, refreshed.children_written | mode)]
    return [
        materialized(lake, entity.silver, {**counts, **refreshed.written, **mode}),
        *extra,
        materialized(lake, entity.quarantine, {"rows": counts["rows_quarantined"], **mode}),
        accounting_check(entity, counts, refreshed.quarantine_rows),
        quarantine_check_result(
            dg.AssetKey(["silver", entity.quarantine.name]),
            refreshed.by_source,
            entity.quarantine_limits,
        ),
    ]


def _increment(
    lake: LakeResource,
    entity: SilverEntity,
    pii_masking: PiiMaskingResource,
    plan: Plan,
    children: ChildTable | None,
) -> Refreshed:
    table, key, readers = entity.bronze_table, entity.key, entity.key_readers
    bronze = lake.scan("bronze", table, plan.bronze_version)
    batches = sorted(plan.batches)
    in_batches = pl.col(BATCH_COLUMN).is_in(batches)
    # The same rows, read from the files whose batch range can hold them only.
    of_batches = among(pl.Series(BATCH_COLUMN, batches, pl.String))
    # Nothing new: no scan of bronze at all (head(0) keeps the schema).
    new_rows = bronze.filter(of_batches) if batches else bronze.head(0)
    # Bounded memory: the streaming engine reads bronze in morsels and keeps only the rows of
    # the batches, and of the affected keys; the history is never held whole.
    batch_rows = new_rows.collect(engine="streaming")
    keys = cleaned_keys(batch_rows.lazy(), key, readers)
    only_added = plan.files_removed == 0
    if batches and plan.since_version is not None and not only_added:
        # The rows these batches had before (a replaced partition or object): their keys
        # may have lost a version, or every version.
        old_rows = lake.scan("bronze", table, plan.since_version).filter(of_batches)
        keys = pl.concat([keys, cleaned_keys(old_rows, key, readers)]).unique()
    affected_keys = keys.collect(engine="streaming")
    validated = validate_rows(batch_rows.lazy(), entity, pii_masking)
    batch = clean_validated(validated, entity)
    # The keys that need their versions outside the batches (all affected keys, unless
    # the batches only added rows: then silver's current version settles most of them).
    recompute, held = affected_keys, None
    if only_added and affected_keys.height and _has_current_version(lake, entity, batch.latest):
        affected_keys, recompute, held = _settled_keys(lake, entity, batch, affected_keys)
        rows = validated.rows.join(affected_keys, on=key, how="semi")
        validated = Validated(rows.height, rows)
    # The batches' own rows are validated once, above, and join the recomputed keys' other
    # versions for the latest-version rule.
    of_keys = validated
    if recompute.height:
        outside = bronze.filter(~in_batches) if batches else bronze
        other = _other_versions(outside, recompute, entity, pii_masking)
        of_keys = Validated(
            validated.rows_in + other.rows_in, pl.concat([validated.rows, other.rows])
        )
    affected = clean_validated(of_keys, entity)
    candidate = entity.finish(affected.latest.lazy()).collect()
    written, vanished = merge_affected(lake, entity.silver, candidate, affected_keys, held)
    children_written = None
    if children is not None:
        built = children.build(affected.latest.lazy()).collect()
        children_written = merge_affected_children(lake, children, built, vanished)
    quarantine_rows = 0
    if batches:
        name = entity.quarantine.name
        lake.replace_keys("silver", name, batch.quarantined, BATCH_COLUMN, batches)
        quarantine_rows = (
            lake.scan("silver", name).filter(of_batches).select(pl.len()).collect().item()
        )
    dedup = ("distinct_keys", "rows_latest")
    counts = {name: value for name, value in batch.counts.items() if name not in dedup}
    counts |= {name: affected.counts[name] for name in dedup}
    counts |= {
        "batches_read": len(batches),
        "keys_recomputed": affected_keys.height,
        "keys_read_from_all_versions": recompute.height,
    }
    # The quarantine check covers the whole table, as on a full build: bronze's rows per
    # source, kept from the last run and moved by the batches' rows; quarantined rows from
    # the quarantine table.
    per_source = rows_per_source_now(
        lake, entity, (plan.since_version, plan.bronze_version), batches, batch_rows
    )
    by_source = quarantine_by_source_counts(per_source, lake.scan("silver", entity.quarantine.name))
    return Refreshed(counts, by_source, written, children_written, quarantine_rows)


def _has_current_version(lake: LakeResource, entity: SilverEntity, latest: pl.DataFrame) -> bool:
    """Whether silver stores the version column as validation types it (then silver's
    version of a key settles what new versions do to it)."""
    silver = lake.scan("silver", entity.silver.name).collect_schema()
    column = entity.version_column
    return silver.get(column) == latest.schema.get(column) is not None


def _settled_keys(
    lake: LakeResource, entity: SilverEntity, batch: Cleaned, keys: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(keys whose silver row changes, those of them read from all their versions, silver's
    current keys among ``keys``), when the batches only added rows to bronze
    (transforms/silver/incremental.py). The current keys are read once, here, for the merge
    too (``merge_affected``): nothing writes silver in between."""
    key, version = list(entity.key), entity.version_column
    scan = lake.scan("silver", entity.silver.name).select(*key, version)
    current = rows_with_keys(scan, keys, key).collect()
    decided = settle_by_current_version(batch.latest.lazy(), current.lazy(), key, version).collect()
    recompute = decided.filter(pl.col(DECISION) == ALL_VERSIONS).select(key)
    return decided.select(key), recompute, current.select(key)


def _other_versions(
    outside: pl.LazyFrame,
    affected_keys: pl.DataFrame,
    entity: SilverEntity,
    pii_masking: PiiMaskingResource,
) -> Validated:
    """The affected keys' rows outside the batches read, validated as a full build would.

    Where validation reads a group of rows whole (``entity.validated_per``: a partner file's
    date formats are chosen on all its dates), the whole groups holding those rows are
    validated, then cut back to the affected keys: a file's other rows may belong to keys with
    versions elsewhere, which this run does not read.
    """
    key, readers, group = entity.key, entity.key_readers, entity.validated_per
    of_keys = rows_of_keys(outside, affected_keys, key, readers)
    if group is None:
        return validate_rows(of_keys.collect(engine="streaming").lazy(), entity, pii_masking)
    groups = of_keys.select(group).unique().collect(engine="streaming").get_column(group)
    # Usually none (new invoices have no older versions): then no second scan of bronze.
    in_groups = outside.filter(pl.col(group).is_in(groups.implode()))
    whole = (in_groups if groups.len() else outside.head(0)).collect(engine="streaming")
    checked = validate_rows(whole.lazy(), entity, pii_masking)
    rows = checked.rows.join(affected_keys, on=key, how="semi")
    return Validated(rows.height, rows)


def merge_affected(
    lake: LakeResource,
    contract: TableContract,
    candidate: pl.DataFrame,
    keys: pl.DataFrame,
    held: pl.DataFrame | None = None,
) -> tuple[dict[str, object], pl.DataFrame]:
    """Merge the recomputed rows of the affected keys; delete the keys left without one.
    ``held``: silver's current keys among a superset of ``keys``, when already read.

    Returns the merge counts and the deleted keys."""
    require_audited(contract, candidate, lake)
    key = list(contract.primary_key)
    # The affected keys' current keys, read once (by key columns) for the deletes and the
    # append-or-merge choice.
    if held is None:
        current = rows_with_keys(lake.scan("silver", contract.name).select(key), keys, key)
        current = current.collect().lazy()
    else:
        current = held.lazy().join(keys.lazy(), on=key, how="semi")
    source = merge_source(candidate.lazy(), current, keys.lazy(), key).collect()
    vanished = source.filter(pl.col(DELETE_FLAG)).select(key)
    counts = {"inserted": 0, "updated": 0, "deleted": 0}
    if source.height and vanished.is_empty() and not _any_present(current, candidate, key):
        # Only new keys (a day of new payments or invoices): an append writes one small
        # file, where a merge would read the target files its keys' min/max range spans.
        lake.append("silver", contract.name, candidate)
        counts["inserted"] = candidate.height
    elif source.height:
        counts = lake.merge_rows("silver", contract.name, source, key, DELETE_FLAG)
    return {f"rows_{name}": value for name, value in counts.items()} | {"rebuilt": False}, vanished


def _any_present(current: pl.LazyFrame, candidate: pl.DataFrame, key: list[str]) -> bool:
    """Whether silver holds any of the candidate's keys (reads their key columns only)."""
    narrowed = rows_with_keys(current, candidate, key).select(key)
    found = narrowed.join(candidate.lazy().select(key), on=key, how="semi")
    return found.head(1).collect().height > 0


def merge_affected_children(
    lake: LakeResource, children: ChildTable, built: pl.DataFrame, vanished: pl.DataFrame
) -> dict[str, object]:
    """The children of the recomputed parents replace theirs; deleted parents lose theirs."""
    contract, parent_key = children.contract, list(children.parent_key)
    require_audited(contract, built, lake)
    parents = pl.concat([built.select(parent_key), vanished.select(parent_key)])
    child_key = list(contract.primary_key)
    # Deletes need only the children's keys (read once): the rest of their rows is not read.
    scan = lake.scan("silver", contract.name).select(child_key)
    current = rows_with_keys(scan, parents, parent_key).collect().lazy()
    replaced = child_merge_source(built.lazy(), current, parent_key, child_key)
    orphaned = children_of(current, vanished.lazy(), parent_key).drop(DELETE_FLAG)
    source = pl.concat([replaced, as_deletes(orphaned, built.schema)], how="vertical").collect()
    counts = {"inserted": 0, "updated": 0, "deleted": 0}
    if source.height:
        counts = lake.merge_rows(
            "silver", contract.name, source, list(contract.primary_key), DELETE_FLAG
        )
    return {f"rows_{name}": value for name, value in counts.items()} | {"rebuilt": False}


def incremental_entity_asset(
    entity: SilverEntity,
    *,
    name: str,
    description: str,
    children: ChildTable | None = None,
) -> dg.AssetsDefinition:
    """The silver multi-asset of an entity refreshed incrementally (module docstring)."""

    def compute(
        lake: LakeResource, pii_masking: PiiMaskingResource, run: SilverRun
    ) -> SilverResults:
        return refresh_entity(lake, entity, pii_masking, run, children)

    return silver_multi_asset(entity, compute, name=name, description=description)
