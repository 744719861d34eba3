"""Where run-failure alerts go: a Slack-compatible incoming webhook, or only the log."""

from typing import Any

import dagster as dg
from pydantic import Field


class AlertDeliveryError(RuntimeError):
    """The webhook did not accept an alert; the message never includes the URL (a secret)."""


class AlertWebhookResource(dg.ConfigurableResource):
    """Posts JSON alerts to an incoming webhook (Slack, Mattermost, Teams workflows, ...).

    The URL carries the webhook's credential, so it comes from RETAIL_ALERT_WEBHOOK_URL through
    `EnvVar` and is never logged; with no URL, alerts are only logged.
    """

    url: str | None = Field(default=None, description="Incoming webhook URL; None: log only.")
    ui_base_url: str | None = Field(
        default=None, description="Dagster UI address, for a link to the failed run."
    )
    timeout_seconds: float = Field(default=10.0)

    @property
    def is_configured(self) -> bool:
        return bool(self.url)

    def run_url(self, run_id: str) -> str | None:
        return f"{self.ui_base_url.rstrip('/')}/runs/{run_id}" if self.ui_base_url else None

    def post(self, payload: dict[str, Any]) -> None:
        if not self.url:
            raise AlertDeliveryError("no alert webhook is configured (RETAIL_ALERT_WEBHOOK_URL)")
        # Imported where used: httpx pulls in rich and pygments, which every code location load
        # would otherwise pay for.
        import httpx

        try:
            response = httpx.post(self.url, json=payload, timeout=self.timeout_seconds)
        except httpx.HTTPError as error:
            # httpx puts the URL in its messages: name only the kind of failure.
            raise AlertDeliveryError(f"alert webhook unreachable: {type(error).__name__}") from None
        if response.status_code >= 300:
            raise AlertDeliveryError(f"alert webhook answered HTTP {response.status_code}")
