"""The run-failure sensor: a real failing platform asset, a real local webhook receiver."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.assets.silver.products import silver_products_assets
from retail_platform.automation.alerts import (
    FailedRun,
    FailedStep,
    failure_payload,
    run_failure_alerts,
)
from retail_platform.contracts import gold
from retail_platform.environment import local_resources
from retail_platform.quality.publish import AuditedDeltaIOManager
from retail_platform.resources.alerts import AlertDeliveryError, AlertWebhookResource
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.quality.run_check import run_check
from retail_platform_tests.quality.tables import table


@dataclass
class Receiver:
    url: str
    bodies: list[dict] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook endpoint on 127.0.0.1 that records what it is sent."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(state.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-part"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def failed_run(tmp_path: Path) -> Iterator[tuple[dg.DagsterInstance, dg.DagsterRun]]:
    """silver/products materialized before its bronze table exists: a real step failure."""
    resources = local_resources(tmp_path)  # no stack running: an empty lake in tmp_path
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [dg.AssetSpec(["bronze", "products"]), silver_products_assets],
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        assert not result.success
        yield instance, instance.get_run_by_id(result.run_id)


def _failure_context(
    instance: dg.DagsterInstance, run: dg.DagsterRun, webhook: AlertWebhookResource
) -> dg.RunFailureSensorContext:
    records = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
    ).records
    return dg.build_run_status_sensor_context(
        sensor_name=run_failure_alerts.name,
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=records[0].event_log_entry.dagster_event,
        resources={"alert_webhook": webhook},
    ).for_run_failure()


def test_a_failing_asset_posts_a_slack_message_to_the_webhook(
    failed_run: tuple[dg.DagsterInstance, dg.DagsterRun], receiver: Receiver
) -> None:
    instance, run = failed_run
    webhook = AlertWebhookResource(url=receiver.url, ui_base_url="http://dagster.example:3000/")
    run_failure_alerts(_failure_context(instance, run, webhook))

    assert len(receiver.bodies) == 1
    body = receiver.bodies[0]
    assert body["text"] == (
        f":red_circle: Dagster run failed: __ephemeral_asset_job__ (run {run.run_id})"
    )
    header, details, link = body["blocks"]
    assert header["type"] == "header"
    text = details["text"]["text"]
    assert "`silver/products`" in text and "`silver/products_quarantine`" in text
    assert (
        "• `silver_products_assets`: _internal.TableNotFoundError: Delta table bronze.products "
        "does not exist yet at "
    ) in text
    assert link["text"]["text"] == f"<http://dagster.example:3000/runs/{run.run_id}|Open run>"


def test_without_a_webhook_the_failure_is_logged_and_nothing_is_sent(
    failed_run: tuple[dg.DagsterInstance, dg.DagsterRun],
    receiver: Receiver,
    capfd: pytest.CaptureFixture[str],
) -> None:
    instance, run = failed_run
    capfd.readouterr()
    run_failure_alerts(_failure_context(instance, run, AlertWebhookResource()))
    assert receiver.bodies == []
    logged = capfd.readouterr().err
    assert (
        f"WARNING - run {run.run_id} of __ephemeral_asset_job__ failed in "
        "silver_products_assets; no alert webhook set (RETAIL_ALERT_WEBHOOK_URL)" in logged
    )


def test_a_refusing_webhook_fails_the_tick_without_revealing_the_url(receiver: Receiver) -> None:
    receiver.status = 403
    webhook = AlertWebhookResource(url=receiver.url)
    with pytest.raises(AlertDeliveryError) as raised:
        webhook.post({"text": "x"})
    assert str(raised.value) == "alert webhook answered HTTP 403"
    assert "secret-part" not in str(raised.value)


def test_payload_lists_at_most_five_steps_and_cuts_long_errors() -> None:
    steps = [FailedStep(f"step_{n}", "boom\ntraceback line") for n in range(7)]
    steps[0] = FailedStep("step_0", "x" * 400)
    payload = failure_payload(FailedRun("nightly", "r-1", ["bronze/orders"], steps))
    assert payload["text"] == ":red_circle: Dagster run failed: nightly (run r-1)"
    assert [block["type"] for block in payload["blocks"]] == ["header", "section"]
    lines = payload["blocks"][1]["text"]["text"].split("\n")
    assert lines[:2] == ["*Run* `r-1`", "*Assets* `bronze/orders`"]
    assert lines[2] == "• `step_0`: " + "x" * 299 + "…"
    assert lines[3:] == [f"• `step_{n}`: boom" for n in range(1, 5)] + ["… and 2 more failed steps"]


def _failed_alert(
    instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult, receiver: Receiver
) -> dict:
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    run_failure_alerts(_failure_context(instance, run, AlertWebhookResource(url=receiver.url)))
    [body] = receiver.bodies
    return body


def test_a_refused_gold_audit_alerts_with_table_check_counts_and_sample(
    tmp_path: Path, receiver: Receiver
) -> None:
    """A gold candidate with product_key 7 twice: the audit refuses it before the commit."""
    lake = LakeResource(root=str(tmp_path / "lake"))
    products = table(gold.DIM_PRODUCT, product_key=[7, 7, 8], name=["Mug", "Mug", "Cup"])

    @dg.asset(key=["gold", "dim_product"])
    def dim_product() -> pl.DataFrame:
        return products

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [dim_product],
            instance=instance,
            resources={"io_manager": AuditedDeltaIOManager(lake=lake)},
            raise_on_error=False,
        )
        body = _failed_alert(instance, result, receiver)

    assert not lake.exists("gold", "dim_product")  # nothing was published
    assert body["text"].endswith(
        f": gold/dim_product primary_key_unique_and_present (run {result.run_id})"
    )
    checks = body["blocks"][-1]["text"]["text"]
    assert checks == (
        "*Failed checks*\n• `gold/dim_product` *primary_key_unique_and_present* failed "
        "(null_keys=0, duplicated_keys=1); sample: product_key=7 occurrences=2"
    )
    failure = result.get_step_failure_events()[0].step_failure_data
    assert failure.user_failure_data.metadata[
        "primary_key_unique_and_present.sample_text"
    ].value == ("product_key=7 occurrences=2")


def test_a_failed_blocking_check_alerts_with_its_sample_of_orphan_keys(
    tmp_path: Path, receiver: Receiver
) -> None:
    lake = LakeResource(root=str(tmp_path / "lake"))
    lake.replace_table("gold", "dim_date", table(gold.DIM_DATE, date_key=[20261001]))
    lake.replace_table("gold", "kpi_daily", table(gold.KPI_DAILY, date_key=[20261001, 20261002]))

    with dg.instance_for_test() as instance:
        run_check(lake, dg.AssetKey(["gold", "kpi_daily"]), "foreign_keys_resolve", instance)
        [run] = instance.get_runs()
        run_failure_alerts(_failure_context(instance, run, AlertWebhookResource(url=receiver.url)))

    [body] = receiver.bodies
    assert body["blocks"][-1]["text"]["text"] == (
        "*Failed checks*\n• `gold/kpi_daily` *foreign_keys_resolve* failed "
        "(orphan_date_key=1); sample: date_key=20261002"
    )
