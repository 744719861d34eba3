"""The silver recipe every entity follows: mask, validate, split, keep the latest, merge.

1. The bronze rows go through the PII policy first; a column the policy does not classify
   stops the asset (fail closed), and no raw PII reaches silver or its quarantine.
2. Every row is validated; broken rows go to ``<entity>_quarantine`` with every rule broken.
3. The valid rows are reduced to the latest version per business key, and only versions at
   least as new as what silver holds are merged into the silver Delta table (one merge commit),
   so a late, older version never overwrites a newer one.

This module holds the recipe; assets/silver/incremental.py runs it over only the bronze batches
that are new since an entity's last run; assets/silver/rebuild.py over all of bronze, in slices,
on a full refresh.

`rows_in = rows_valid + rows_quarantined` is reported as metadata and checked by the blocking
``rows_accounted_for`` check, together with "the quarantine table holds the quarantined rows"
and "deduplication kept exactly one row per distinct key".

Write-audit-publish: the rows about to be merged are audited (key present and unique, required
columns filled, line arithmetic) before the merge commit; a failure commits nothing. The
blocking ``quarantine_within_limits`` check on the quarantine table warns above 1% and fails
above 50% of a source's rows quarantined (quality/quarantine.py): the valid rows of the other
sources are still merged, and the run fails, naming the file or partition.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg
import polars as pl

from retail_platform.assets.contract_metadata import asset_metadata
from retail_platform.assets.silver.run_mode import FULL_REFRESH_TAG, SilverRefreshConfig, SilverRun
from retail_platform.assets.silver.subset import selected_results
from retail_platform.automation.policies import (
    check_condition,
    follow_upstreams_condition,
    pool_for,
)
from retail_platform.contracts.model import TableContract
from retail_platform.contracts.silver import quarantine_of
from retail_platform.quality.audit import AuditFailedError, audit_silver_candidate, failed
from retail_platform.quality.quarantine import (
    QUARANTINE_CHECK,
    QuarantineLimits,
    quarantine_by_source,
)
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform.transforms.silver.keys import KeyReader
from retail_platform.transforms.silver.latest import (
    latest_versions,
)
from retail_platform.transforms.silver.validation import REASON, quarantine_rows

KINDS = {"delta", "polars"}
ACCOUNTED_FOR = "rows_accounted_for"


@dataclass(frozen=True)
class SilverEntity:
    """How one bronze table becomes one silver table (and its quarantine)."""

    source: TableContract
    """The bronze table as the PII policy leaves it (its name is the policy's table name)."""
    silver: TableContract
    validate: Callable[[pl.LazyFrame], pl.LazyFrame]
    finish: Callable[[pl.LazyFrame], pl.LazyFrame]
    """Conforms the latest valid rows to the silver contract."""
    version_column: str
    extra_outputs: Sequence[TableContract] = field(default_factory=tuple)
    key_readers: Mapping[str, KeyReader] = field(default_factory=dict)
    """How validation reads key columns that are not plain trimmed text
    (transforms/silver/keys.py): incremental runs find a key's bronze rows with them."""
    validated_per: str | None = None
    """A column whose groups validation reads whole (partner sales: each file's date formats
    are chosen on all its dates); incremental runs then validate whole groups."""
    quarantine_limits: QuarantineLimits = field(default_factory=QuarantineLimits)
    """Quarantined share per source (file, partition, batch) that warns, and that fails."""

    @property
    def bronze_table(self) -> str:
        return self.source.name

    @property
    def quarantine(self) -> TableContract:
        return quarantine_of(self.source)

    @property
    def key(self) -> list[str]:
        return list(self.silver.primary_key)

    def specs(self) -> list[dg.AssetSpec]:
        bronze_key = dg.AssetKey(["bronze", self.bronze_table])
        return [
            *(_spec(contract, bronze_key) for contract in (self.silver, *self.extra_outputs)),
            # Its own group, so the lineage shows the rejected rows apart from the silver tables.
            _spec(self.quarantine, bronze_key, group="quarantine"),
        ]

    def check_specs(self) -> list[dg.AssetCheckSpec]:
        return [
            dg.AssetCheckSpec(
                ACCOUNTED_FOR,
                asset=dg.AssetKey(["silver", self.silver.name]),
                description="rows_in = rows_valid + rows_quarantined, the quarantine table "
                "holds rows_quarantined rows, and deduplication kept exactly one row per "
                "distinct key: nothing read from bronze is lost.",
                blocking=True,
                automation_condition=check_condition(dg.AssetKey(["silver", self.silver.name])),
            ),
            dg.AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=dg.AssetKey(["silver", self.quarantine.name]),
                description="The share of quarantined rows, per source file, daily partition or "
                f"batch and for the whole table: a warning above "
                f"{self.quarantine_limits.warn_share:.0%}, a failure above "
                f"{self.quarantine_limits.fail_share:.0%}, naming the source and its three most "
                "frequent reasons.",
                blocking=True,
                automation_condition=check_condition(dg.AssetKey(["silver", self.quarantine.name])),
            ),
        ]


def _spec(contract: TableContract, bronze_key: dg.AssetKey, group: str = "silver") -> dg.AssetSpec:
    return dg.AssetSpec(
        key=dg.AssetKey(["silver", contract.name]),
        deps=[bronze_key],
        group_name=group,
        description=contract.description,
        metadata=asset_metadata(contract),
        tags=contract.asset_tags(),
        kinds=set(KINDS),
        automation_condition=follow_upstreams_condition(),
    )


@dataclass(frozen=True)
class Cleaned:
    latest: pl.DataFrame
    """The latest valid version of each key, before conforming (orders explode lines from it)."""
    quarantined: pl.DataFrame
    counts: dict[str, int]
    by_source: pl.DataFrame
    """Rows and quarantined rows per source and for the whole table (quality/quarantine.py)."""


@dataclass(frozen=True)
class Validated:
    rows_in: int
    """Rows read from bronze, counted before validation (the accounting compares them)."""
    rows: pl.DataFrame
    """Every row typed, `_quarantine_reason` null when valid (validation drops none)."""


def validate_rows(
    bronze_rows: pl.LazyFrame, entity: SilverEntity, pii_masking: PiiMaskingResource
) -> Validated:
    """Mask (fail closed) and validate bronze rows."""
    masked = pii_masking.mask(bronze_rows, entity.bronze_table)
    rows_in = masked.select(pl.len()).collect().item()
    return Validated(rows_in, entity.validate(masked).collect())


def clean_validated(checked: Validated, entity: SilverEntity) -> Cleaned:
    """Split validated rows and deduplicate the valid ones to the latest version per key."""
    rows_in, validated = checked.rows_in, checked.rows
    # The valid and rejected rows stay lazy views of `validated`: no full copy of either.
    is_valid = pl.col(REASON).is_null()
    valid = validated.lazy().filter(is_valid)
    rows_valid = validated.get_column(REASON).null_count()
    latest = latest_versions(valid, entity.key, entity.version_column).collect()
    quarantined = quarantine_rows(
        validated.lazy().filter(~is_valid), entity.source.polars_schema
    ).collect()
    # Counted on the valid rows, independently of the deduplication that made `latest`.
    distinct_keys = valid.select(entity.key).unique().select(pl.len()).collect().item()
    return Cleaned(
        latest=latest,
        quarantined=quarantined,
        counts={
            "rows_in": rows_in,
            "rows_valid": rows_valid,
            "rows_quarantined": validated.height - rows_valid,
            "distinct_keys": distinct_keys,
            "rows_latest": latest.height,
            "versions_superseded": rows_valid - latest.height,
        },
        by_source=quarantine_by_source(validated.lazy()),
    )


def require_audited(contract: TableContract, candidate: pl.DataFrame, lake: LakeResource) -> None:
    """Write-audit-publish for silver: the rows about to be merged pass the table's blocking
    rules, or nothing is committed (the published table was audited, so the merge of audited
    rows keyed on the primary key is too)."""
    broken = failed(audit_silver_candidate(contract, candidate.lazy()))
    if broken:
        exists = lake.exists("silver", contract.name)
        raise AuditFailedError(
            f"silver.{contract.name}",
            broken,
            lake.version("silver", contract.name) if exists else None,
        )


def is_current_schema(lake: LakeResource, contract: TableContract) -> bool:
    """Whether the silver table exists with the contract's schema (else it gets rebuilt)."""
    return _current(lake, "silver", contract.name, contract.polars_schema) is not None


def _current(lake: LakeResource, layer: str, table: str, schema: pl.Schema) -> pl.LazyFrame | None:
    """The table as a LazyFrame, or None when it is missing or has another schema."""
    if not lake.exists(layer, table):
        return None
    current = lake.scan(layer, table)
    return current if current.collect_schema() == schema else None


def table_rows(lake: LakeResource, layer: str, table: str) -> int:
    return lake.scan(layer, table).select(pl.len()).collect().item()


def materialized(
    lake: LakeResource, contract: TableContract, metadata: dict[str, object] | None = None
) -> dg.MaterializeResult:
    rows = table_rows(lake, "silver", contract.name)
    return dg.MaterializeResult(
        asset_key=dg.AssetKey(["silver", contract.name]),
        metadata={
            "dagster/row_count": rows,
            "table": f"silver.{contract.name}",
            **(metadata or {}),
        },
    )


def accounting_check(
    entity: SilverEntity, counts: dict[str, int], quarantine_rows_written: int
) -> dg.AssetCheckResult:
    checks = {
        "rows_in = rows_valid + rows_quarantined": counts["rows_in"]
        == counts["rows_valid"] + counts["rows_quarantined"],
        "quarantine table holds rows_quarantined": quarantine_rows_written
        == counts["rows_quarantined"],
        "one latest row per distinct key": counts["rows_latest"] == counts["distinct_keys"],
    }
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(["silver", entity.silver.name]),
        check_name=ACCOUNTED_FOR,
        passed=all(checks.values()),
        metadata={
            **counts,
            "failed": ", ".join(name for name, ok in checks.items() if not ok) or "none",
        },
    )


SilverResults = list[dg.MaterializeResult | dg.AssetCheckResult]


def silver_multi_asset(
    entity: SilverEntity,
    compute: Callable[[LakeResource, PiiMaskingResource, SilverRun], SilverResults],
    *,
    name: str,
    description: str,
) -> dg.AssetsDefinition:
    """A multi-asset writing the entity's silver table(s) and quarantine, with its check."""

    @dg.multi_asset(
        name=name,
        specs=entity.specs(),
        check_specs=entity.check_specs(),
        description=description,
        # The entity's tables are written by one op: it holds the pool of its silver table.
        pool=pool_for(dg.AssetKey(["silver", entity.silver.name])),
        # Each table can be materialized alone (UI, `dagster asset materialize --select`).
        can_subset=True,
    )
    def _asset(
        context: dg.AssetExecutionContext,
        config: SilverRefreshConfig,
        lake: LakeResource,
        pii_masking: PiiMaskingResource,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        tagged = context.run.tags.get(FULL_REFRESH_TAG, "").strip().lower() == "true"
        run = SilverRun(context.run.run_id, full_refresh=config.full_refresh or tagged)
        results = compute(lake, pii_masking, run)
        context.log.info(
            f"silver {entity.silver.name}: masked by PII policy {pii_masking.policy_version()}"
        )
        yield from selected_results(context, results)

    return _asset
