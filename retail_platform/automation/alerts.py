"""Run-failure alerts: a Slack-compatible message to the configured webhook, or a log line.

A failure that comes from data names what is wrong: every failed check of the run (a blocking
asset check, or a pre-commit audit that refused to publish a table) is listed with its table,
check, counts and the sample of offending keys and values from its metadata.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from retail_platform.resources.alerts import AlertWebhookResource

MAX_ERROR_CHARS = 300  # enough for the cause; the full stack trace is one click away in the UI
MAX_FAILED_STEPS = 5
MAX_FAILED_CHECKS = 10
MAX_SECTION_CHARS = 2900  # Slack rejects a section text over 3000 characters
# Metadata entries that are the sample itself, not counts.
SAMPLE_ENTRIES = {"sample", "sample_rows", "sample_text", "table", "kept_version"}


@dataclass(frozen=True)
class FailedStep:
    step_key: str
    error: str


@dataclass(frozen=True)
class FailedCheck:
    table: str  # asset key, e.g. gold/fact_order_lines
    check: str
    counts: str  # "orphan_customer_key=3, ..."
    sample: str  # offending keys and values: "order_line_key=1 customer_key=999 | ..."

    def line(self) -> str:
        return f"`{self.table}` *{self.check}* failed ({self.counts}); sample: {self.sample}"


@dataclass(frozen=True)
class FailedRun:
    job_name: str
    run_id: str
    asset_keys: Sequence[str]
    failed_steps: Sequence[FailedStep]
    run_url: str | None = None
    failed_checks: Sequence[FailedCheck] = ()


def failure_payload(run: FailedRun) -> dict[str, Any]:
    """Slack's incoming-webhook JSON: `text` (fallback and notification) plus `blocks`."""
    title = f":red_circle: Dagster run failed: {run.job_name}"
    steps = [
        f"• `{step.step_key}`: {_first_line(step.error)}"
        for step in run.failed_steps[:MAX_FAILED_STEPS]
    ]
    hidden = len(run.failed_steps) - MAX_FAILED_STEPS
    if hidden > 0:
        steps.append(f"… and {hidden} more failed steps")
    assets = ", ".join(f"`{key}`" for key in run.asset_keys) or "none"
    details = "\n".join(
        [f"*Run* `{run.run_id}`", f"*Assets* {assets}", *(steps or ["• no step failed"])]
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": details}},
    ]
    if run.failed_checks:
        lines = [f"• {check.line()}" for check in run.failed_checks[:MAX_FAILED_CHECKS]]
        hidden_checks = len(run.failed_checks) - MAX_FAILED_CHECKS
        if hidden_checks > 0:
            lines.append(f"… and {hidden_checks} more failed checks")
        text = "*Failed checks*\n" + "\n".join(lines)
        if len(text) > MAX_SECTION_CHARS:
            text = text[: MAX_SECTION_CHARS - 1] + "…"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if run.run_url:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{run.run_url}|Open run>"}}
        )
    first_check = (
        f": {run.failed_checks[0].table} {run.failed_checks[0].check}" if run.failed_checks else ""
    )
    return {"text": f"{title}{first_check} (run {run.run_id})", "blocks": blocks}


def _first_line(error: str) -> str:
    line = error.strip().splitlines()[0] if error.strip() else "no error message"
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def describe_failure(
    context: dg.RunFailureSensorContext, webhook: AlertWebhookResource
) -> FailedRun:
    run = context.dagster_run
    failed_steps = [
        FailedStep(step_key=event.step_key or "?", error=_root_cause(event))
        for event in context.get_step_failure_events()
    ]
    if not failed_steps:  # the run failed outside a step (e.g. at launch)
        failed_steps = [FailedStep("run", context.failure_event.message or "")]
    return FailedRun(
        job_name=run.job_name,
        run_id=run.run_id,
        asset_keys=_asset_keys(context.instance, run),
        failed_steps=failed_steps,
        run_url=webhook.run_url(run.run_id),
        failed_checks=[
            *_failed_asset_checks(context.instance, run.run_id),
            *_failed_audits(context.get_step_failure_events()),
        ],
    )


def _plain(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {name: getattr(value, "value", value) for name, value in metadata.items()}


def _failed_check(table: str, check: str, metadata: Mapping[str, Any]) -> FailedCheck:
    values = _plain(metadata)
    counts = ", ".join(
        f"{name}={value}"
        for name, value in values.items()
        if name not in SAMPLE_ENTRIES
        and isinstance(value, int | float | str)
        and "\n" not in str(value)
    )
    return FailedCheck(table, check, counts or "no counts", str(values.get("sample_text", "none")))


def _failed_asset_checks(instance: dg.DagsterInstance, run_id: str) -> list[FailedCheck]:
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    failed = []
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        evaluation = event.asset_check_evaluation_data
        if not evaluation.passed:
            table = evaluation.asset_key.to_user_string()
            failed.append(_failed_check(table, evaluation.check_name, evaluation.metadata))
    return failed


def _failed_audits(events: Sequence[dg.DagsterEvent]) -> list[FailedCheck]:
    """Pre-commit audits that refused to publish (quality/publish.py): their metadata holds
    `<check>.<entry>` for each failed check, and the table."""
    failed = []
    for event in events:
        data = event.step_failure_data.user_failure_data if event.step_failure_data else None
        metadata = _plain(data.metadata) if data is not None else {}
        checks = sorted({name.split(".")[0] for name in metadata if name.endswith(".sample_text")})
        for check in checks:
            entries = {
                name.split(".", 1)[1]: value
                for name, value in metadata.items()
                if name.startswith(f"{check}.")
            }
            table = str(metadata.get("table", "?")).replace(".", "/")
            failed.append(_failed_check(table, check, entries))
    return failed


def _root_cause(event: dg.DagsterEvent) -> str:
    """The innermost error: what went wrong, not the Dagster wrapper around it."""
    error = event.step_failure_data.error if event.step_failure_data else None
    if error is None:
        return event.message or ""
    while error.cause is not None:
        error = error.cause
    return error.message  # Dagster's message already starts with the exception class


def _asset_keys(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[str]:
    if run.asset_selection:
        return sorted(key.to_user_string() for key in run.asset_selection)
    # Runs of a whole asset job carry no selection; the plan names what it meant to write.
    planned = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ).records
    return sorted(
        {
            record.event_log_entry.dagster_event.asset_key.to_user_string()
            for record in planned
            if record.event_log_entry.dagster_event
            and record.event_log_entry.dagster_event.asset_key
        }
    )


@dg.run_failure_sensor(
    name="run_failure_alerts",
    minimum_interval_seconds=30,
    description="Posts every failed run of this code location to the alert webhook "
    "(RETAIL_ALERT_WEBHOOK_URL, Slack-compatible); logs the failure when none is set.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_alerts(
    context: dg.RunFailureSensorContext, alert_webhook: AlertWebhookResource
) -> None:
    failed = describe_failure(context, alert_webhook)
    summary = f"run {failed.run_id} of {failed.job_name} failed in " + ", ".join(
        step.step_key for step in failed.failed_steps
    )
    if not alert_webhook.is_configured:
        context.log.warning(f"{summary}; no alert webhook set (RETAIL_ALERT_WEBHOOK_URL)")
        return
    alert_webhook.post(failure_payload(failed))
    context.log.info(f"{summary}; alert posted")
