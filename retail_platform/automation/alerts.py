"""Run-failure alerts: a Slack-compatible message to the configured webhook, or a log line."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from retail_platform.resources.alerts import AlertWebhookResource

MAX_ERROR_CHARS = 300  # enough for the cause; the full stack trace is one click away in the UI
MAX_FAILED_STEPS = 5


@dataclass(frozen=True)
class FailedStep:
    step_key: str
    error: str


@dataclass(frozen=True)
class FailedRun:
    job_name: str
    run_id: str
    asset_keys: Sequence[str]
    failed_steps: Sequence[FailedStep]
    run_url: str | None = None


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
    if run.run_url:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{run.run_url}|Open run>"}}
        )
    return {"text": f"{title} (run {run.run_id})", "blocks": blocks}


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
    )


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
