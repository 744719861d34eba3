"""Commerce REST API -> bronze: orders (an incremental change feed) and payments (by day).

Orders: each daily partition holds the versions whose `updated_at` falls on that day. The
watermark is the latest `updated_at` already in bronze orders, read from the table itself (so it
survives a new Dagster instance and can never disagree with the data). A run of the day that
holds the watermark asks the API only for versions updated since then (minus a short lookback
for late commits) and keeps the day's earlier rows; any other day is fetched and replaced whole,
which is what a backfill wants. Either way the day is rewritten in one atomic commit.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import dagster as dg
import polars as pl
from pydantic import Field

from retail_platform.assets.partitions import daily_partitions
from retail_platform.assets.specs import asset_kwargs, ingestion
from retail_platform.automation.policies import SOURCE_RETRY_POLICY, pool_for
from retail_platform.contracts import bronze
from retail_platform.contracts.model import TableContract
from retail_platform.resources.lake import PARTITION_COLUMN, LakeResource
from retail_platform.resources.rest import CommerceApiError, CommerceApiResource, FetchStats
from retail_platform.transforms.bronze import (
    Ingestion,
    records_to_frame,
)
from retail_platform.transforms.bronze_watermarks import (
    parse_timestamp,
    rows_at_watermark,
    rows_before,
)

KINDS = {"rest", "delta", "polars"}
REQUIRED_ORDER = ("order_id", "customer_id", "updated_at")
REQUIRED_PAYMENT = ("payment_id", "order_id", "created_at")


class OrdersIngestConfig(dg.Config):
    full_refresh: bool = Field(
        default=False,
        description="Fetch every day of the run whole, even the day that holds the watermark.",
    )
    lookback_minutes: int = Field(
        default=5,
        description="Re-read this much before the watermark, for versions committed late.",
    )


@dg.asset(
    **asset_kwargs("bronze", bronze.ORDERS, KINDS),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=pool_for(dg.AssetKey(["bronze", bronze.ORDERS.name])),
    retry_policy=SOURCE_RETRY_POLICY,  # a 4xx raises Failure(allow_retries=False): no retry
)
def bronze_orders(
    context: dg.AssetExecutionContext,
    config: OrdersIngestConfig,
    commerce_api: CommerceApiResource,
    lake: LakeResource,
) -> dg.MaterializeResult:
    """Every order version the API reports as updated within the partition's days."""
    watermark = None if config.full_refresh else orders_watermark(lake)
    batch = ingestion(context, "rest:/v1/orders")
    stats = FetchStats()
    start, end = _window(context)
    frames: list[pl.DataFrame] = []
    modes: dict[str, str] = {}
    for day in _days(start, end):
        day_start, day_end = _midnight(day), _midnight(day + timedelta(days=1))
        since = day_start
        if watermark is not None and day_start <= watermark < day_end:
            since = max(day_start, watermark - timedelta(minutes=config.lookback_minutes))
        params = {"updated_since": _iso(since), "updated_before": _iso(day_end)}
        fetched = _fetch(commerce_api, "/v1/orders", params, bronze.ORDERS, batch, day, stats)
        if since > day_start:
            earlier = rows_before(_stored_day(lake, day), since).collect()
            fetched = pl.concat([earlier, fetched], how="diagonal_relaxed")
            modes[day.isoformat()] = f"incremental since {_iso(since)}"
        frames.append(fetched)
        context.log.info(f"/v1/orders: {day} done ({stats.pages_fetched} pages so far)")
    frame = _concat(frames, bronze.ORDERS)
    lake.replace_date_window("bronze", "orders", frame, start, end)
    new_watermark = orders_watermark(lake)
    return _result(
        context,
        frame,
        stats,
        start,
        end,
        {
            "watermark_before": _iso(watermark) if watermark else "none",
            "watermark": _iso(new_watermark) if new_watermark else "none",
            "incremental_days": modes or "none: every day fetched whole",
        },
    )


@dg.asset(
    **asset_kwargs("bronze", bronze.PAYMENTS, KINDS),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=pool_for(dg.AssetKey(["bronze", bronze.PAYMENTS.name])),
    retry_policy=SOURCE_RETRY_POLICY,
)
def bronze_payments(
    context: dg.AssetExecutionContext, commerce_api: CommerceApiResource, lake: LakeResource
) -> dg.MaterializeResult:
    """Every payment attempt the API reports for the partition's days (the day is the cursor)."""
    batch = ingestion(context, "rest:/v1/payments")
    stats = FetchStats()
    start, end = _window(context)
    frames = [
        _fetch(
            commerce_api,
            "/v1/payments",
            {"date": day.isoformat()},
            bronze.PAYMENTS,
            batch,
            day,
            stats,
        )
        for day in _days(start, end)
    ]
    frame = _concat(frames, bronze.PAYMENTS)
    lake.replace_date_window("bronze", "payments", frame, start, end)
    latest = frame.select(parse_timestamp("created_at").max()).item()
    return _result(
        context, frame, stats, start, end, {"watermark": _iso(latest) if latest else "none"}
    )


def orders_watermark(lake: LakeResource) -> datetime | None:
    """The latest parseable `updated_at` in bronze orders, or None before the first load."""
    if not lake.exists("bronze", "orders"):
        return None
    rows = rows_at_watermark(lake.scan("bronze", "orders")).collect()
    return rows.get_column("_watermark").item(0) if rows.height else None


def _stored_day(lake: LakeResource, day: date) -> pl.LazyFrame:
    return lake.scan("bronze", "orders").filter(pl.col(PARTITION_COLUMN) == day)


def _fetch(
    api: CommerceApiResource,
    path: str,
    params: dict[str, str],
    contract: TableContract,
    batch: Ingestion,
    day: date,
    stats: FetchStats,
) -> pl.DataFrame:
    required = REQUIRED_ORDER if contract is bronze.ORDERS else REQUIRED_PAYMENT
    json_columns = ("lines",) if contract is bronze.ORDERS else ()
    try:
        frames = [
            records_to_frame(
                page.records,
                contract,
                ingestion=batch,
                source_key=page.source_key,
                required=required,
                json_columns=json_columns,
                partition_date=day,
            )
            for page in api.iter_pages(path, params, stats)
        ]
    except CommerceApiError as error:
        if error.retryable:
            raise
        # A 401/403/400 answers the same on every attempt: fail now, skipping the retry policy.
        raise dg.Failure(description=str(error), allow_retries=False) from error
    return _concat(frames, contract)


def _result(
    context: dg.AssetExecutionContext,
    frame: pl.DataFrame,
    stats: FetchStats,
    start: date,
    end: date,
    extra: dict[str, object],
) -> dg.MaterializeResult:
    malformed = frame.filter(pl.col("_error").is_not_null())
    if malformed.height:
        context.log.warning(
            f"kept {malformed.height} malformed records in bronze with their reason; "
            f"first: {malformed.row(0, named=True)['_error']!r}"
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "rows": frame.height,
            **stats.as_metadata(),
            "malformed_records": malformed.height,
            "days": f"{start} .. {end - timedelta(days=1)}",
            **extra,
        }
    )


def _concat(frames: list[pl.DataFrame], contract: TableContract) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(schema=contract.polars_schema)
    return pl.concat(frames, how="diagonal_relaxed")


def _window(context: dg.AssetExecutionContext) -> tuple[date, date]:
    window = context.partition_time_window
    return window.start.date(), window.end.date()


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
