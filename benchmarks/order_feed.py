"""Orders (a change feed of order versions) and payments for the benchmark's bronze data.

Vectorised over all orders at once: each order gets its lines, a status history of one to three
versions (placed/paid, shipped, cancelled, returned) and the payments that history triggers.
Status rules follow `retail_platform.local.generator`; `datagen` sets the volumes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

SECONDS_PER_DAY = 86_400
MINUTE = 60
LINE_COUNTS, LINE_COUNT_WEIGHTS = (1, 2, 3, 4, 5), (25, 30, 20, 15, 10)
QUANTITIES, QUANTITY_WEIGHTS = (1, 2, 3, 4, 5), (60, 25, 8, 5, 2)
HOURLY_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 8, 9, 8, 7, 7, 8, 9, 11, 12, 12, 10, 6, 3)
WEEKDAY_FACTORS = (0.9, 0.95, 0.95, 1.0, 1.05, 1.1, 1.05)  # Monday .. Sunday
CHANNELS, CHANNEL_WEIGHTS = ("web", "app", "store"), (55, 35, 10)
METHODS, METHOD_WEIGHTS = ("card", "paypal", "klarna", "gift_card"), (55, 25, 15, 5)
DEFECT_SHARE = 0.001  # of order versions, for each kind of defect
DUPLICATE_SHARE = 0.002  # of order versions delivered twice
LATE_UPDATE_SHARE = 0.01  # of the orders placed before the new day: a late version on it
ORDER_DATE_CHANGE_SHARE = 0.1  # of those late versions: the placement time is corrected too
# A late version moves an open order on: a placed one is cancelled, a paid one ships, a shipped
# one comes back. Cancelled and returned orders are final.
NEXT_STATUS = {"placed": "cancelled", "paid": "shipped", "shipped": "returned"}


def choice(rng: np.random.Generator, values: tuple, weights: tuple, size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(np.asarray(values), size=size, p=p / p.sum())


def iso_text(seconds: pl.Expr) -> pl.Expr:
    """Epoch seconds -> the sources' one timestamp format, "2026-10-03T14:05:09Z"."""
    return pl.from_epoch(seconds, time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def money_text(cents: pl.Expr) -> pl.Expr:
    return pl.format("{}.{}", cents // 100, (cents % 100).cast(pl.String).str.zfill(2))


def day_of(seconds: pl.Expr) -> pl.Expr:
    return pl.from_epoch(seconds, time_unit="s").dt.date()


def order_currency(order: pl.Expr) -> pl.Expr:
    """The currency of order number ``order`` (0-based): 10% GBP, 5% CHF, else EUR.

    A rule of the order number, so an order's payments share its currency without a join;
    non-EUR orders make the gold build convert to EUR as it would in production.
    """
    bucket = order % 20
    return (
        pl.when(bucket < 2)
        .then(pl.lit("GBP"))
        .when(bucket == 2)
        .then(pl.lit("CHF"))
        .otherwise(pl.lit("EUR"))
    )


def padded_id(prefix: str, number: pl.Expr, width: int) -> pl.Expr:
    return pl.format(f"{prefix}{{}}", number.cast(pl.String).str.zfill(width))


@dataclass(frozen=True)
class History:
    """Status history per order (array index = order number - 1), as epoch seconds."""

    created: np.ndarray
    first_paid: np.ndarray  # first version is "paid" (else "placed")
    cancelled: np.ndarray  # placed, then cancelled before payment
    returned: np.ndarray  # paid, shipped, then returned
    shipped_later: np.ndarray  # paid or placed, then shipped
    cancelled_at: np.ndarray
    shipped_at: np.ndarray
    returned_at: np.ndarray


def placement_times(rng: np.random.Generator, n_orders: int, start_s: int, days: int) -> np.ndarray:
    """When each order is placed, epoch seconds, sorted: busier on some weekdays and hours."""
    weekday_of_start = (start_s // SECONDS_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday
    day_weights = tuple(
        WEEKDAY_FACTORS[(weekday_of_start + d) % 7] * rng.uniform(0.9, 1.1) for d in range(days)
    )
    day = choice(rng, tuple(range(days)), day_weights, n_orders)
    hour = choice(rng, tuple(range(24)), HOURLY_WEIGHTS, n_orders)
    return np.sort(start_s + day * SECONDS_PER_DAY + hour * 3600 + rng.integers(0, 3600, n_orders))


def order_versions(
    rng: np.random.Generator,
    created: np.ndarray,
    n_customers: int,
    prices_cents: np.ndarray,
    end_s: int,
    first_order: int = 0,
) -> tuple[pl.DataFrame, np.ndarray, History]:
    """Bronze order versions (payload as text, plus `_updated_s`), totals in cents, history.

    Of the orders placed at `created`, numbered from `first_order` (0-based: a piece of a
    larger set of orders); versions after `end_s` have not happened yet. The totals and the
    history are indexed by position in `created`.
    """
    n_orders = len(created)
    lines_json, totals_cents = _lines(rng, n_orders, prices_cents)
    orders = pl.DataFrame(
        {
            "_order": first_order + np.arange(n_orders),
            "_customer": rng.integers(1, n_customers + 1, n_orders),
            "channel": choice(rng, CHANNELS, CHANNEL_WEIGHTS, n_orders),
            "_created_s": created,
            "lines": lines_json,
        }
    )
    history = _history(rng, created)
    feed = (
        _versions(history, first_order)
        # Updates after the window have not happened yet.
        .filter(pl.col("_updated_s") < end_s)
        .join(orders, on="_order", how="left")
        .with_columns(
            order_id=padded_id("O", pl.col("_order") + 1, 8),
            customer_id=padded_id("C", pl.col("_customer"), 7),
            currency=order_currency(pl.col("_order")),
            created_at=iso_text(pl.col("_created_s")),
            updated_at=iso_text(pl.col("_updated_s")),
        )
        .sort("_updated_s", "_order")
    )
    return _with_defects(rng, feed), totals_cents, history


def _lines(
    rng: np.random.Generator, n_orders: int, prices_cents: np.ndarray
) -> tuple[pl.Series, np.ndarray]:
    """Each order's lines as the JSON text the REST asset stores, and its total in cents."""
    line_count = choice(rng, LINE_COUNTS, LINE_COUNT_WEIGHTS, n_orders)
    order_of_line = np.repeat(np.arange(n_orders), line_count)
    first_line = np.repeat(np.cumsum(line_count) - line_count, line_count)
    n_lines = int(line_count.sum())
    product = rng.integers(0, len(prices_cents), n_lines)
    quantity = choice(rng, QUANTITIES, QUANTITY_WEIGHTS, n_lines)
    unit_cents = prices_cents[product]
    discount_rate = choice(rng, (5, 10, 20), (1, 1, 1), n_lines)
    discounted = rng.random(n_lines) < 0.1
    discount_cents = np.where(discounted, quantity * unit_cents * discount_rate // 100, 0)
    line_cents = quantity * unit_cents - discount_cents
    totals = np.bincount(order_of_line, weights=line_cents, minlength=n_orders).astype(np.int64)
    lines = pl.DataFrame(
        {
            "_order": order_of_line,
            "line_number": np.arange(n_lines) - first_line + 1,
            "product": product + 1,
            "quantity": quantity,
            "unit_cents": unit_cents,
            "discount_cents": discount_cents,
        }
    )
    # Keys sorted, as json.dumps(sort_keys=True) writes them in the REST asset.
    line_json = pl.concat_str(
        pl.lit('{"discount": '),
        money_text(pl.col("discount_cents")),
        pl.lit(', "line_number": '),
        pl.col("line_number").cast(pl.String),
        pl.lit(', "product_id": "'),
        padded_id("P", pl.col("product"), 6),
        pl.lit('", "quantity": '),
        pl.col("quantity").cast(pl.String),
        pl.lit(', "unit_price": '),
        money_text(pl.col("unit_cents")),
        pl.lit("}"),
    )
    per_order = (
        lines.select("_order", line_json.alias("line"))
        .group_by("_order", maintain_order=True)
        .agg(pl.col("line").str.join(", "))
        .select(pl.concat_str(pl.lit("["), pl.col("line"), pl.lit("]")).alias("lines"))
        .to_series()
    )
    return per_order, totals


def _history(rng: np.random.Generator, created: np.ndarray) -> History:
    n = len(created)
    roll = rng.random(n)
    cancelled = roll < 0.05
    returned = (roll >= 0.05) & (roll < 0.08)
    shipped_at = created + rng.integers(120, 3 * 1440 + 1, n) * MINUTE
    return History(
        created=created,
        first_paid=returned | (~cancelled & (rng.random(n) < 0.8)),
        cancelled=cancelled,
        returned=returned,
        shipped_later=(roll >= 0.08) & (roll < 0.78),
        cancelled_at=created + rng.integers(5, 1441, n) * MINUTE,
        shipped_at=shipped_at,
        returned_at=shipped_at + rng.integers(1440, 2 * 1440 + 1, n) * MINUTE,
    )


def _versions(history: History, first_order: int) -> pl.DataFrame:
    """One row per (order, version): the first, then shipped/cancelled, then returned."""
    order = first_order + np.arange(len(history.created))
    shipped = history.returned | history.shipped_later
    parts = [
        (order, np.where(history.first_paid, "paid", "placed"), history.created),
        (order[history.cancelled], "cancelled", history.cancelled_at[history.cancelled]),
        (order[shipped], "shipped", history.shipped_at[shipped]),
        (order[history.returned], "returned", history.returned_at[history.returned]),
    ]
    return pl.concat(
        pl.DataFrame(
            {"_order": orders, "_updated_s": times},
        ).with_columns(status=pl.Series(np.broadcast_to(status, len(orders)).astype(str)))
        for orders, status, times in parts
    )


def _with_defects(rng: np.random.Generator, feed: pl.DataFrame) -> pl.DataFrame:
    """A few broken versions (each kind a silver rule must catch) and a few delivered twice."""
    n = feed.height
    kind = rng.random(n)
    missing_customer = kind < DEFECT_SHARE
    quantity_word = (kind >= DEFECT_SHARE) & (kind < 2 * DEFECT_SHARE)
    double_encoded = (kind >= 2 * DEFECT_SHARE) & (kind < 3 * DEFECT_SHARE)
    lines = pl.col("lines")
    feed = feed.with_columns(
        customer_id=pl.when(pl.Series(missing_customer)).then(None).otherwise("customer_id"),
        lines=pl.when(pl.Series(quantity_word))
        .then(lines.str.replace('"quantity": 1', '"quantity": "one"', literal=True))
        .when(pl.Series(double_encoded))
        .then(
            pl.concat_str(pl.lit('"'), lines.str.replace_all('"', '\\"', literal=True), pl.lit('"'))
        )
        .otherwise(lines),
        _error=pl.when(pl.Series(missing_customer)).then(
            pl.lit("missing required field(s): customer_id")
        ),
    ).with_columns(
        _raw=pl.when(pl.col("_error").is_not_null()).then(
            pl.concat_str(
                pl.lit('{"order_id": "'),
                pl.col("order_id"),
                pl.lit('", "updated_at": "'),
                pl.col("updated_at"),
                pl.lit('"}'),
            )
        )
    )
    duplicates = feed.filter(pl.Series(rng.random(n) < DUPLICATE_SHARE))
    return pl.concat([feed, duplicates]).sort("_updated_s", "order_id")


def payments(
    rng: np.random.Generator,
    history: History,
    totals_cents: np.ndarray,
    end_s: int,
    first_order: int = 0,
    first_payment: int = 0,
) -> pl.DataFrame:
    """Payment attempts: a capture per paid order (4% after a failed try), refunds of returns.

    Of the orders of `history` (numbered from `first_order`), the attempts numbered from
    `first_payment` (0-based) in time order.
    """
    n = len(history.created)
    paid = ~history.cancelled
    delay = np.where(history.first_paid, 0, rng.integers(10, 111, n) * MINUTE)
    attempt_at = history.created + delay + rng.integers(1, 91, n)
    failed_first = paid & (rng.random(n) < 0.04)
    captured_at = attempt_at + np.where(failed_first, rng.integers(30, 601, n), 0)
    method = choice(rng, METHODS, METHOD_WEIGHTS, n)
    other_method = choice(rng, METHODS, METHOD_WEIGHTS, n)
    refund_at = history.returned_at + rng.integers(1, 121, n) * MINUTE
    order = np.arange(n)
    parts = [
        (order[failed_first], attempt_at[failed_first], 0, "failed", other_method[failed_first]),
        (order[paid], captured_at[paid], 1, "captured", method[paid]),
        # A refund goes back where the capture came from.
        (
            order[history.returned],
            refund_at[history.returned],
            2,
            "refunded",
            method[history.returned],
        ),
    ]
    attempts = pl.concat(
        pl.DataFrame({"_order": orders, "_created_s": at, "method": methods}).with_columns(
            _seq=pl.lit(seq), status=pl.lit(status)
        )
        for orders, at, seq, status, methods in parts
    )
    attempts = attempts.filter(pl.col("_created_s") < end_s).sort("_created_s", "_order", "_seq")
    # The amount of every attempt is its order's total.
    amount_cents = pl.Series("_cents", totals_cents[attempts.get_column("_order").to_numpy()])
    return attempts.with_columns(amount_cents, pl.col("_order") + first_order).with_columns(
        payment_id=padded_id("PAY", pl.int_range(1, pl.len() + 1) + first_payment, 8),
        order_id=padded_id("O", pl.col("_order") + 1, 8),
        amount=money_text(pl.col("_cents")),
        currency=order_currency(pl.col("_order")),
        created_at=iso_text(pl.col("_created_s")),
    )


def late_updates(
    rng: np.random.Generator,
    feed: pl.DataFrame,
    day_start_s: int,
    window_start_s: int,
    share: float = LATE_UPDATE_SHARE,
    date_change_share: float = ORDER_DATE_CHANGE_SHARE,
    placed_since_s: int | None = None,
    placed_before: int | None = None,
) -> pl.DataFrame:
    """New versions, on the day starting at ``day_start_s``, of orders placed days before.

    As many as ``share`` of the orders placed before that day get one, chosen among the
    orders placed since ``placed_since_s`` (default: the window's start), as a night brings
    corrections of the last weeks' orders, not of last year's: among the orders whose last
    version before the day is well-formed and open (placed, paid or shipped) and that have no
    version on or after it, so the late version is the order's newest and changes its status.
    Fewer when the recent window holds fewer such orders. ``date_change_share`` of them also
    move the placement one day earlier (a corrected order date, never before the window), so
    an incremental build meets orders whose date changes, not only their status. Rows have the
    columns of ``feed``. ``placed_before`` (default: counted in ``feed``) is the count of
    orders placed before the day, for a ``feed`` that holds only the recent orders' versions.
    """
    since = window_start_s if placed_since_s is None else placed_since_s
    latest = feed.sort("_updated_s").group_by("_order").last()
    if placed_before is None:
        placed_before = latest.filter(pl.col("_created_s") < day_start_s).height
    eligible = latest.filter(
        (pl.col("_created_s") >= since)
        & (pl.col("_updated_s") < day_start_s)
        & pl.col("status").is_in(list(NEXT_STATUS))
        & pl.col("_error").is_null()
        & pl.col("lines").str.starts_with("[")
        & ~pl.col("lines").str.contains('"quantity": "one"', literal=True)
    ).sort("_order")
    count = min(eligible.height, round(placed_before * share))
    chosen = eligible[np.sort(rng.choice(eligible.height, size=count, replace=False))]
    moved = (rng.random(count) < date_change_share) & (
        chosen.get_column("_created_s").to_numpy() - SECONDS_PER_DAY >= window_start_s
    )
    created = pl.col("_created_s") - pl.Series(np.where(moved, SECONDS_PER_DAY, 0))
    updated = day_start_s + np.sort(rng.integers(0, SECONDS_PER_DAY, count))
    return (
        chosen.with_columns(
            status=pl.col("status").replace_strict(NEXT_STATUS),
            _updated_s=pl.Series(updated),
            _created_s=created,
        )
        .with_columns(
            created_at=iso_text(pl.col("_created_s")), updated_at=iso_text(pl.col("_updated_s"))
        )
        .select(feed.columns)
        .cast(dict(feed.schema))
    )
