"""Commerce REST API -> bronze: orders (change feed) and payments, one daily partition at a time."""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta

import dagster as dg
import polars as pl

from retail_platform.assets.partitions import daily_partitions
from retail_platform.assets.specs import asset_kwargs, ingestion
from retail_platform.contracts import bronze
from retail_platform.contracts.model import TableContract
from retail_platform.resources.rest import CommerceApiResource
from retail_platform.transforms.bronze import records_to_frame

KINDS = {"rest", "delta", "polars"}


@dg.asset(
    **asset_kwargs("bronze", bronze.ORDERS, KINDS),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL),
)
def bronze_orders(
    context: dg.AssetExecutionContext, commerce_api: CommerceApiResource
) -> dg.Output[pl.DataFrame]:
    """Every order version the API reports as updated within the partition's days."""

    def params(day: date) -> dict[str, str]:
        return {"updated_since": _iso(day), "updated_before": _iso(day + timedelta(days=1))}

    return _ingest_daily(
        context,
        commerce_api,
        "/v1/orders",
        bronze.ORDERS,
        params,
        required=REQUIRED_ORDER,
        json_columns=("lines",),
    )


@dg.asset(
    **asset_kwargs("bronze", bronze.PAYMENTS, KINDS),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL),
)
def bronze_payments(
    context: dg.AssetExecutionContext, commerce_api: CommerceApiResource
) -> dg.Output[pl.DataFrame]:
    """Every payment attempt the API reports for the partition's days."""
    return _ingest_daily(
        context,
        commerce_api,
        "/v1/payments",
        bronze.PAYMENTS,
        lambda day: {"date": day.isoformat()},
        required=("payment_id", "order_id", "created_at"),
    )


REQUIRED_ORDER = ("order_id", "customer_id", "updated_at")


def _ingest_daily(
    context: dg.AssetExecutionContext,
    api: CommerceApiResource,
    path: str,
    contract: TableContract,
    params_for_day: Callable[[date], dict[str, str]],
    required: tuple[str, ...],
    json_columns: tuple[str, ...] = (),
) -> dg.Output[pl.DataFrame]:
    batch = ingestion(context, f"rest:{path}")
    frames: list[pl.DataFrame] = []
    pages = 0
    window = context.partition_time_window
    for day in _days(window.start.date(), window.end.date()):
        for page in api.iter_pages(path, params_for_day(day)):
            pages += 1
            frames.append(
                records_to_frame(
                    page.records,
                    contract,
                    ingestion=batch,
                    source_key=page.source_key,
                    required=required,
                    json_columns=json_columns,
                    partition_date=day,
                )
            )
        context.log.info(f"{path}: fetched {day} ({pages} pages so far)")
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=contract.polars_schema)
    malformed = frame.filter(pl.col("_error").is_not_null())
    if malformed.height:
        context.log.warning(
            f"{path}: kept {malformed.height} malformed records in bronze with their reason; "
            f"first: {malformed.row(0, named=True)['_error']!r}"
        )
    return dg.Output(
        frame,
        metadata={
            "rows": frame.height,
            "pages_fetched": pages,
            "malformed_records": malformed.height,
            "days": f"{window.start.date()} .. {window.end.date() - timedelta(days=1)}",
        },
    )


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def _iso(day: date) -> str:
    return datetime.combine(day, time(0), tzinfo=UTC).isoformat().replace("+00:00", "Z")
