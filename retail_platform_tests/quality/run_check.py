"""Runs one real asset check through Dagster against tables in a temporary lake."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from retail_platform.quality.checks import build_asset_checks
from retail_platform.resources.lake import LakeResource


@dataclass(frozen=True)
class CheckRun:
    run_succeeded: bool
    passed: bool
    severity: dg.AssetCheckSeverity
    metadata: dict[str, object]


def run_check(
    lake: LakeResource,
    asset_key: dg.AssetKey,
    name: str,
    instance: dg.DagsterInstance | None = None,
) -> CheckRun:
    """Runs the check definition holding ``asset_key``/``name`` in process; its result."""
    check_key = dg.AssetCheckKey(asset_key, name)
    matching = [check for check in build_asset_checks() if check_key in check.check_keys]
    assert len(matching) == 1, f"expected exactly one check {check_key}"
    check = matching[0]
    upstream = {
        *(key.asset_key for key in check.check_keys),
        *check.keys_by_input_name.values(),
    }
    definitions = dg.Definitions(
        assets=[dg.AssetSpec(key) for key in upstream],
        asset_checks=[check],
        resources={"lake": lake},
        jobs=[dg.define_asset_job("only_this_check", selection=dg.AssetSelection.checks(check))],
    )

    result = definitions.resolve_job_def("only_this_check").execute_in_process(
        raise_on_error=False, instance=instance
    )

    evaluations = {e.asset_check_key: e for e in result.get_asset_check_evaluations()}
    assert check_key in evaluations, f"{check_key} did not run"
    evaluation = evaluations[check_key]
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    return CheckRun(result.success, evaluation.passed, evaluation.severity, metadata)
