"""Publishing gold: audit the candidate, commit only what passed, and verify before loading.

`AuditedDeltaIOManager` is the lake IO manager with write-audit-publish for gold: every gold
table's new version is audited (quality/audit.py) before its Delta commit, whatever launched
the run (UI, backfill, schedule, sensor, automation, CLI), because every materialization of a
gold asset goes through it. A failed audit raises `AuditFailedError` (the step fails, nothing
is committed, readers keep the previous audited version) and is recorded in the table's audit
log; a passed one is committed and recorded with its Delta version.

A full build of a fact comes in parts (`GoldSlice.parts`): each part is audited as it is
produced and streamed into the one commit that replaces the table (LakeResource.
replace_table_in_parts); the rules over the whole (primary key across parts, unknown-member
share) are decided after the last part, before the stream ends (quality/audit_parts.py). A
failed part or whole-table rule is recorded as a rejection and raised inside the stream: the
write commits nothing.

`audited_version` is what the warehouse loader asks before it loads a gold table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import polars as pl

from retail_platform.assets.gold.increment import GoldSlice, SliceMerge
from retail_platform.assets.gold.key_rule import record_key_rule
from retail_platform.assets.gold.ui_metadata import gold_ui_metadata
from retail_platform.quality.accuracy import RECONCILED_WITH
from retail_platform.quality.audit import GOLD_RULES, AuditFailedError, audit_gold, failed
from retail_platform.quality.audit_parts import PartsAudit
from retail_platform.quality.audit_slice import RECONCILED, audit_gold_slice
from retail_platform.quality.checks import GOLD_BY_NAME
from retail_platform.quality.outcome import RuleOutcome
from retail_platform.resources.lake import (
    DATA_PRESERVING_OPERATIONS,
    PUBLISHED,
    REJECTED,
    AuditRecord,
    LakeResource,
)
from retail_platform.resources.lake_io import DeltaLakeIOManager

AUDITED_LAYER = "gold"
AUDIT = "write_audit_publish"  # names the audit itself when a version has no record at all


class AuditedDeltaIOManager(DeltaLakeIOManager):
    """DeltaLakeIOManager that audits each gold table's candidate before committing it.

    A gold asset returns a whole table (a DataFrame, or a `GoldSlice` covering the table),
    committed as a full overwrite, or a `GoldSlice` of some values of one column, audited with
    the rules scoped to the slice (quality/audit_slice.py) and committed as one overwrite of
    the rows with those values, or as one merge of its differences when it carries them
    (`GoldSlice.merge`: the table ends the same, the change feed holds only what changed).
    The progress a slice carries is recorded after the audit record, so a failed audit leaves
    the table's position in its inputs unchanged.
    """

    def handle_output(
        self, context: dg.OutputContext, obj: pl.DataFrame | pl.LazyFrame | GoldSlice | None
    ) -> None:
        layer, table = context.asset_key.path[0], context.asset_key.path[-1]
        if isinstance(obj, GoldSlice):
            self._publish_slice(context, layer, table, obj)
            return
        if obj is None or layer != AUDITED_LAYER or table not in GOLD_RULES:
            super().handle_output(context, obj)
            return
        frame = obj.collect() if isinstance(obj, pl.LazyFrame) else obj
        # Read before the audit: a table moving meanwhile is recorded older than what the
        # audit saw, so a check then recomputes rather than reuse (audit_reuse.py).
        inputs = _input_versions(self.lake, table)
        outcomes = audit_gold(table, frame.lazy(), self.lake)
        self._refuse_failed(context, layer, table, outcomes, frame.height, inputs)
        super().handle_output(context, frame)
        record_key_rule(self.lake, layer, table)  # a whole write (assets/gold/key_rule.py)
        self._record_published(context, layer, table, outcomes, frame.height, inputs)

    def _publish_slice(
        self, context: dg.OutputContext, layer: str, table: str, piece: GoldSlice
    ) -> None:
        audited = layer == AUDITED_LAYER and table in GOLD_RULES and piece.commits
        if audited and piece.parts is not None:
            self._publish_parts(context, layer, table, piece)
            return
        inputs = _input_versions(self.lake, table) if audited else ""  # before the audit
        if audited:
            if piece.whole:
                outcomes = audit_gold(table, piece.rows.lazy(), self.lake)
            else:
                if not self.lake.exists(layer, table):
                    raise ValueError(f"{layer}.{table} does not exist: a first build is whole")
                column, values = piece.column or "", piece.values
                differing = piece.merge.upserts.lazy() if piece.merge is not None else None
                outcomes = audit_gold_slice(
                    table, piece.rows.lazy(), column, values, self.lake, differing
                )
            self._refuse_failed(context, layer, table, outcomes, piece.rows.height, inputs)
        written = commit_slice(self.lake, layer, table, piece)
        if audited:
            self._record_published(context, layer, table, outcomes, written, inputs)
        record_slice_progress(self.lake, layer, table, piece, context.run_id)
        context.add_output_metadata(slice_metadata(self.lake, layer, table, piece, written))

    def _publish_parts(
        self, context: dg.OutputContext, layer: str, table: str, piece: GoldSlice
    ) -> None:
        """A whole table in parts: each part audited, then streamed; one commit (module
        docstring). Progress and the passed audit are recorded after the commit."""
        parts = piece.parts
        assert parts is not None
        inputs = _input_versions(self.lake, table)  # before the audit
        audit = PartsAudit(table, self.lake)
        outcomes: list[RuleOutcome] = []

        def audited() -> Iterator[pl.DataFrame]:
            for index, (values, rows) in enumerate(parts):
                checked = audit.part(rows, values, parts.describe(index))
                self._refuse_failed(context, layer, table, checked, audit.rows, inputs)
                yield rows
            outcomes.extend(audit.whole())
            self._refuse_failed(context, layer, table, outcomes, audit.rows, inputs)

        written = self.lake.replace_table_in_parts(layer, table, audited(), parts.schema)
        record_key_rule(self.lake, layer, table)
        self._record_published(context, layer, table, outcomes, written, inputs)
        record_slice_progress(self.lake, layer, table, piece, context.run_id)
        context.add_output_metadata(slice_metadata(self.lake, layer, table, piece, written))

    def _refuse_failed(
        self,
        context: dg.OutputContext,
        layer: str,
        table: str,
        outcomes: list[RuleOutcome],
        rows: int,
        inputs: str,
    ) -> None:
        """Record a rejection and raise AuditFailedError when a blocking rule failed."""
        broken = failed(outcomes)
        if not broken:
            return
        kept = self.lake.version(layer, table) if self.lake.exists(layer, table) else None
        error = AuditFailedError(f"{layer}.{table}", broken, kept)
        self.lake.record_audit(
            layer,
            table,
            AuditRecord(
                status=REJECTED,
                version=kept,
                run_id=context.run_id,
                checks=_names(outcomes),
                failed_checks=_names(broken),
                detail=error.description or "",
                rows=rows,
                inputs=inputs,
            ),
        )
        raise error

    def _record_published(
        self,
        context: dg.OutputContext,
        layer: str,
        table: str,
        outcomes: list[RuleOutcome],
        rows: int,
        inputs: str,
    ) -> None:
        version = self.lake.version(layer, table)
        checks = _names(outcomes)
        self.lake.record_audit(
            layer,
            table,
            AuditRecord(
                status=PUBLISHED,
                version=version,
                run_id=context.run_id,
                checks=checks,
                rows=rows,
                inputs=inputs,
            ),
        )
        context.add_output_metadata({"audit": f"passed: {checks}", "audited_version": version})


def commit_slice(lake: LakeResource, layer: str, table: str, piece: GoldSlice) -> int:
    """One commit: the whole table (at once or streamed from its parts, unaudited: the IO
    manager audits parts itself), or the rows of the slice's values; nothing for an empty
    slice. Returns the rows written. The caller audits first (AuditedDeltaIOManager) and
    records progress after."""
    if piece.parts is not None:
        parts = piece.parts
        written = lake.replace_table_in_parts(layer, table, (r for _, r in parts), parts.schema)
        record_key_rule(lake, layer, table)
        return written
    if piece.whole:
        lake.replace_table(layer, table, piece.rows)
        record_key_rule(lake, layer, table)  # the keys' rule (assets/gold/key_rule.py)
    elif piece.values:
        if not lake.exists(layer, table):
            raise ValueError(f"{layer}.{table} does not exist: a first build is a whole one")
        if piece.merge is not None:  # the slice's differences only (increment.SliceMerge)
            return _merge(lake, layer, table, piece.merge)
        lake.replace_values(layer, table, piece.rows, piece.column or "", piece.values)
    return piece.rows.height if piece.commits else 0


_DELETE = "_delete"


def _merge(lake: LakeResource, layer: str, table: str, merge: SliceMerge) -> int:
    """One merge commit of a slice's differences (none: no commit); the rows it wrote."""
    if not merge.rows:
        return 0
    frame = pl.concat(
        [
            merge.upserts.with_columns(pl.lit(False).alias(_DELETE)),
            merge.deletes.with_columns(pl.lit(True).alias(_DELETE)),
        ]
    )
    lake.merge_rows(layer, table, frame, list(merge.key), _DELETE)
    return merge.rows


def record_slice_progress(
    lake: LakeResource, layer: str, table: str, piece: GoldSlice, run_id: str
) -> None:
    """The input versions the published slice consumed: where the next run starts."""
    for progress in piece.progress(run_id):
        lake.record_progress(layer, table, progress)


def slice_metadata(
    lake: LakeResource, layer: str, table: str, piece: GoldSlice, written: int | None = None
) -> dict[str, object]:
    metadata: dict[str, object] = dict(piece.metadata(written))
    if piece.parts is not None and lake.exists(layer, table):
        # A build in parts reaches the asset without its rows: its UI figures come from
        # the committed table (a streaming aggregation over a few columns).
        metadata |= gold_ui_metadata(table, lake.scan(layer, table))
    if lake.exists(layer, table):
        rows = lake.scan(layer, table).select(pl.len()).collect(engine="streaming")
        metadata |= {
            "dagster/row_count": rows.item(),
            "delta_version": lake.version(layer, table),
            "table": f"{layer}.{table}",
        }
    return metadata


def _names(outcomes: list[RuleOutcome]) -> str:
    return ", ".join(outcome.check for outcome in outcomes)


def _input_versions(lake: LakeResource, table: str) -> str:
    """The published versions of the dimensions the candidate's foreign keys were checked on
    (`dim_x=v`) and, for a table reconciled with silver, of the silver tables it was
    reconciled with (`silver.x=v`): what a check needs to reuse the audit (audit_reuse.py)."""
    contract = GOLD_BY_NAME[table]
    versions = [
        f"{name}={lake.version(AUDITED_LAYER, name)}"
        for name in sorted(set(contract.foreign_keys.values()))
        if name != table and lake.exists(AUDITED_LAYER, name)
    ]
    if table in RECONCILED:
        for name in RECONCILED_WITH:
            layer, other = name.split(".", 1)
            if lake.exists(layer, other):
                versions.append(f"{name}={lake.version(layer, other)}")
    return ", ".join(versions)


class NotAuditedError(dg.Failure):
    """The loader refuses a table version that did not pass its audit. A retry cannot change
    that, so the step's retry policy does not apply."""

    def __init__(self, description: str, metadata: dict[str, object] | None = None) -> None:
        super().__init__(description=description, metadata=metadata, allow_retries=False)  # type: ignore[arg-type]


class DimensionNotLoadedError(dg.Failure):
    """A fact was audited against a dimension version Snowflake does not hold yet. Unlike a
    refusal, this passes: the dimension's load (usually in a concurrent run) catches up, so
    the step's retry policy applies."""

    def __init__(self, description: str) -> None:
        super().__init__(description=description, allow_retries=True)  # type: ignore[arg-type]


@dataclass(frozen=True)
class AuditedVersion:
    version: int  # the table's current version: the audited one, or a compaction of it
    record: AuditRecord

    def input_versions(self) -> dict[str, int]:
        """The gold dimensions the audit checked the foreign keys on, and their versions (the
        silver tables a reconciliation read, `silver.x`, are not loaded: left out)."""
        pairs = (item.split("=") for item in self.record.inputs.split(", ") if item)
        return {name: int(version) for name, version in pairs if "." not in name}


def audited_version(lake: LakeResource, layer: str, table: str) -> AuditedVersion:
    """The current version of ``layer.table`` if it passed its audit; else `NotAuditedError`
    naming the table, the check and the version.

    Refused: a table without an audit record; a table whose newest audit was a rejection (its
    last build failed: loading the version it kept would hide that); a version written after
    the last passed audit by anything but compaction or vacuum.
    """
    name = f"{layer}.{table}"
    if not lake.exists(layer, table):
        raise NotAuditedError(f"refusing to load {name}: the table does not exist yet")
    current = lake.version(layer, table)
    log = lake.audit_log(layer, table)
    if not log:
        raise NotAuditedError(
            f"refusing to load {name} version {current}: check {AUDIT} has no record of it "
            "(it was written without passing its audit); rebuild it"
        )
    newest = log[-1]
    if newest.status == REJECTED:
        raise NotAuditedError(
            f"refusing to load {name}: its newest build (run {newest.run_id}) failed blocking "
            f"check(s) {newest.failed_checks} and was not published; {name} keeps version "
            f"{newest.version}, Snowflake keeps its last good load. {newest.detail}",
            metadata={"table": name, "failed_checks": newest.failed_checks,
                      "kept_version": str(newest.version), "run_id": newest.run_id},
        )  # fmt: skip
    unaudited = [
        (version, operation)
        for version, operation in lake.commits_after(layer, table, int(newest.version or 0))
        if operation not in DATA_PRESERVING_OPERATIONS
    ]
    if unaudited:
        version, operation = unaudited[-1]
        raise NotAuditedError(
            f"refusing to load {name} version {version}: check {AUDIT} has no record of it "
            f"({operation} after audited version {newest.version}); rebuild it"
        )
    return AuditedVersion(current, newest)
