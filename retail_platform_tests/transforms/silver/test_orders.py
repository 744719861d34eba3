from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from retail_platform.contracts import bronze, silver
from retail_platform.transforms.silver.latest import latest_versions
from retail_platform.transforms.silver.orders import (
    silver_order_lines,
    silver_orders,
    validate_order_versions,
)
from retail_platform.transforms.silver.validation import quarantine_rows, valid_rows
from retail_platform_tests.transforms.silver.bronze_rows import bronze_frame

LINE_1 = (
    '{"line_number": 1, "product_id": "P00001", "quantity": 2, "unit_price": 19.99, '
    '"discount": 0.0}'
)
LINE_2 = (
    '{"line_number": 2, "product_id": "P00002", "quantity": 1, "unit_price": 5.00, '
    '"discount": 1.50}'
)
LINE_2_QUANTITY_TWO = (
    '{"line_number": 2, "product_id": "P00002", "quantity": "two", "unit_price": 5.00, '
    '"discount": 0}'
)


def order(**overrides: Any) -> dict[str, Any]:
    base = {
        "order_id": "O1",
        "customer_id": "C1",
        "status": "paid",
        "currency": "EUR",
        "channel": "web",
        "created_at": "2026-10-31T10:00:00Z",
        "updated_at": "2026-10-31T10:00:00Z",
        "lines": f"[{LINE_1}]",
    }
    return {**base, **overrides}


def one_line(**fields: Any) -> str:
    base = {"line_number": 1, "product_id": '"P1"', "quantity": 2, "unit_price": 5, "discount": 0}
    merged = {**base, **fields}
    members = ", ".join(f'"{key}": {value}' for key, value in merged.items() if value is not None)
    return "[{" + members + "}]"


def validate(*rows: dict[str, Any]) -> pl.DataFrame:
    return validate_order_versions(bronze_frame(bronze.ORDERS, *rows)).collect()


def test_valid_order_is_typed_with_lines_and_total() -> None:
    result = validate(order(lines=f"[{LINE_1}, {LINE_2}]"))

    row = result.row(0, named=True)
    assert row["_quarantine_reason"] is None
    assert row["created_at"] == datetime(2026, 10, 31, 10, 0, tzinfo=UTC)
    assert row["order_date"] == date(2026, 10, 31)
    assert row["line_count"] == 2
    # 2 x 19.99 - 0.00 + 1 x 5.00 - 1.50 = 39.98 + 3.50
    assert row["order_total"] == Decimal("43.48")
    assert row["lines"] == [
        {
            "line_number": 1,
            "product_id": "P00001",
            "quantity": 2,
            "unit_price": Decimal("19.99"),
            "discount": Decimal("0.00"),
        },
        {
            "line_number": 2,
            "product_id": "P00002",
            "quantity": 1,
            "unit_price": Decimal("5.00"),
            "discount": Decimal("1.50"),
        },
    ]


def test_order_date_is_the_utc_date_of_created_at() -> None:
    row = validate(order(created_at="2026-10-31T23:30:00-01:00")).row(0, named=True)

    assert row["created_at"] == datetime(2026, 11, 1, 0, 30, tzinfo=UTC)
    assert row["order_date"] == date(2026, 11, 1)


def test_line_without_discount_has_zero_discount() -> None:
    row = validate(order(lines=one_line(discount=None))).row(0, named=True)

    assert row["_quarantine_reason"] is None
    assert row["lines"][0]["discount"] == Decimal("0.00")
    assert row["order_total"] == Decimal("10.00")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"customer_id": None}, "customer_id: missing"),
        ({"customer_id": "  "}, "customer_id: missing"),
        ({"order_id": None}, "order_id: missing"),
        ({"status": None}, "status: missing"),
        (
            {"created_at": "31/10/2026 10:00"},
            "created_at: not an ISO-8601 timestamp: '31/10/2026 10:00'",
        ),
        ({"updated_at": "yesterday"}, "updated_at: not an ISO-8601 timestamp: 'yesterday'"),
        (
            {"status": "lost"},
            "status: not one of placed, paid, shipped, cancelled, returned: 'lost'",
        ),
        ({"currency": "EURO"}, "currency: not a 3-letter currency code: 'EURO'"),
        ({"channel": "fax"}, "channel: not one of web, app, store: 'fax'"),
        ({"lines": None}, "lines: missing"),
        ({"lines": '{"line_number": 1}'}, """lines: not a JSON list: '{"line_number": 1}'"""),
        ({"lines": '[{"line_number": 1'}, """lines: not valid JSON: '[{"line_number": 1'"""),
        ({"lines": "[1, 2]"}, "lines: not a list of flat JSON objects: '[1, 2]'"),
        ({"lines": "[]"}, "lines: empty list"),
        (
            {"lines": f"[{LINE_1}, {LINE_2_QUANTITY_TWO}]"},
            "lines[2].quantity: not an integer: 'two'",
        ),
        ({"lines": one_line(quantity=2.5)}, "lines[1].quantity: not an integer: '2.5'"),
        ({"lines": one_line(quantity=0)}, "lines[1].quantity: not positive: '0'"),
        ({"lines": one_line(quantity=None)}, "lines[1].quantity: missing"),
        ({"lines": one_line(product_id=None)}, "lines[1].product_id: missing"),
        ({"lines": one_line(line_number=None)}, "lines[1].line_number: missing"),
        ({"lines": one_line(unit_price=-1)}, "lines[1].unit_price: negative: '-1'"),
        ({"lines": one_line(unit_price='"abc"')}, "lines[1].unit_price: not a number: 'abc'"),
        (
            {"lines": one_line(unit_price="1.00005")},
            "lines[1].unit_price: more than 4 decimals: '1.00005'",
        ),
        ({"lines": one_line(discount=-1)}, "lines[1].discount: negative: '-1'"),
        (
            # 2 x 5 = 10 < 11
            {"lines": one_line(discount=11)},
            "lines[1].discount: exceeds quantity x unit_price: '11'",
        ),
        ({"lines": f"[{LINE_1}, {LINE_1}]"}, "lines: duplicate line_number"),
    ],
)
def test_malformed_value_is_quarantined_with_its_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    result = validate(order(), {**order(order_id="O2"), **overrides})

    assert result["_quarantine_reason"].to_list() == [None, reason]


def test_every_broken_rule_is_reported_in_rule_order() -> None:
    bad = order(
        customer_id=None,
        created_at="31/10/2026 10:00",
        lines=f"[{LINE_1}, {LINE_2_QUANTITY_TWO}]",
    )

    reason = validate(bad)["_quarantine_reason"].item()

    assert reason == (
        "customer_id: missing; "
        "created_at: not an ISO-8601 timestamp: '31/10/2026 10:00'; "
        "lines[2].quantity: not an integer: 'two'"
    )


def test_bronze_error_quarantines_the_row_with_that_error() -> None:
    broken = {"_error": "invalid JSON at char 12", "_raw": '{"order_id": "O9", '}

    reason = validate(broken)["_quarantine_reason"].item()

    assert reason == (
        "_error: invalid JSON at char 12; order_id: missing; customer_id: missing; "
        "status: missing; currency: missing; created_at: missing; updated_at: missing; "
        "lines: missing"
    )


def test_rows_in_equal_valid_plus_quarantined_and_quarantine_keeps_bronze_text() -> None:
    rows = [
        order(order_id="O1"),
        order(order_id="O2", created_at="31/10/2026 10:00"),
        order(order_id="O3"),
        order(order_id="O4", lines="not json"),
    ]

    validated = validate_order_versions(bronze_frame(bronze.ORDERS, *rows))
    valid = valid_rows(validated).collect()
    quarantined = quarantine_rows(validated, bronze.ORDERS).collect()

    assert validated.collect().height == 4
    assert valid["order_id"].to_list() == ["O1", "O3"]
    assert quarantined.columns == [*bronze.ORDERS.column_names, "_quarantine_reason"]
    assert quarantined.schema["created_at"] == pl.String
    assert quarantined.select("order_id", "created_at", "lines", "_quarantine_reason").rows() == [
        (
            "O2",
            "31/10/2026 10:00",
            f"[{LINE_1}]",
            "created_at: not an ISO-8601 timestamp: '31/10/2026 10:00'",
        ),
        ("O4", "2026-10-31T10:00:00Z", "not json", "lines: not a JSON list: 'not json'"),
    ]


def latest_statuses(*rows: dict[str, Any]) -> list[tuple[str, str]]:
    validated = validate_order_versions(bronze_frame(bronze.ORDERS, *rows))
    latest = latest_versions(valid_rows(validated), ["order_id"], "updated_at")
    return latest.select("order_id", "status").sort("order_id").collect().rows()


def test_exact_duplicates_collapse_to_one_row() -> None:
    version = order(order_id="O1", updated_at="2026-10-31T10:00:00Z")

    assert latest_statuses(version, version) == [("O1", "paid")]


def test_later_version_wins_whatever_the_arrival_order() -> None:
    placed = order(status="placed", updated_at="2026-10-31T10:00:00Z")
    shipped = order(status="shipped", updated_at="2026-11-02T08:00:00Z")

    assert latest_statuses(placed, shipped) == [("O1", "shipped")]
    assert latest_statuses(shipped, placed) == [("O1", "shipped")]


def test_tie_on_version_is_broken_deterministically() -> None:
    # Same order and updated_at, different content: the remaining columns decide, descending
    # in schema order (customer_id equal, then status: 'shipped' > 'paid').
    paid = order(status="paid")
    shipped = order(status="shipped")

    assert latest_statuses(paid, shipped) == [("O1", "shipped")]
    assert latest_statuses(shipped, paid) == [("O1", "shipped")]


def test_latest_versions_keeps_one_row_per_composite_key() -> None:
    frame = pl.LazyFrame(
        {
            "a": ["x", "x", "x", "y"],
            "b": [1, 1, 2, 1],
            "version": [1, 2, 1, None],
            "payload": ["old", "new", "other", "only"],
        }
    )

    latest = latest_versions(frame, ["a", "b"], "version").sort("a", "b").collect()

    assert latest.rows() == [("x", 1, 2, "new"), ("x", 2, 1, "other"), ("y", 1, None, "only")]


def test_silver_orders_and_lines_conform_to_their_contracts() -> None:
    validated = validate_order_versions(
        bronze_frame(bronze.ORDERS, order(lines=f"[{LINE_1}, {LINE_2}]"))
    )
    latest = latest_versions(valid_rows(validated), ["order_id"], "updated_at")

    orders = silver_orders(latest).collect()
    lines = silver_order_lines(latest).sort("order_id", "line_number").collect()

    assert orders.schema == silver.ORDERS.polars_schema
    assert orders.select("order_id", "line_count", "order_total").rows() == [
        ("O1", 2, Decimal("43.48"))
    ]
    assert lines.schema == silver.ORDER_LINES.polars_schema
    updated_at = datetime(2026, 10, 31, 10, 0, tzinfo=UTC)
    assert lines.rows() == [
        (
            "O1",
            1,
            "P00001",
            2,
            Decimal("19.99"),
            Decimal("0.00"),
            Decimal("39.98"),
            "paid",
            date(2026, 10, 31),
            updated_at,
        ),
        (
            "O1",
            2,
            "P00002",
            1,
            Decimal("5.00"),
            Decimal("1.50"),
            Decimal("3.50"),
            "paid",
            date(2026, 10, 31),
            updated_at,
        ),
    ]


def test_a_price_keeps_its_delivered_decimals_and_the_line_is_rounded_once() -> None:
    lines = one_line(quantity=3, unit_price="14.665", discount="0.10")
    result = validate(order(lines=lines))

    row = result.row(0, named=True)
    assert row["_quarantine_reason"] is None
    assert row["lines"][0]["unit_price"] == Decimal("14.6650")
    # 3 x 14.665 - 0.10 = 43.895 -> 43.90 (half away from zero, once). Rounding the price
    # first would give 3 x 14.67 - 0.10 = 43.91.
    lines_out = silver_order_lines(
        latest_versions(valid_rows(result.lazy()), ["order_id"], "updated_at")
    )
    assert lines_out.collect().get_column("line_amount").to_list() == [Decimal("43.90")]


# Bronze writes lines with sorted keys (json.dumps(sort_keys=True)): such plain documents are
# decoded as they are; any other document is canonicalised first (json_path_match).
def sorted_line(after: str = "", **values: str) -> str:
    """One line with sorted keys, values as JSON text; ``after`` is appended to the object."""
    fields = {"discount": "0", "line_number": "1", "product_id": '"P1"', "quantity": "2"}
    members = ", ".join(f'"{key}": {value}' for key, value in {**fields, **values}.items())
    return "[{" + members + after + "}]"


def test_plain_document_with_sorted_keys_is_decoded_as_delivered() -> None:
    lines = (
        '[{"discount": 0.5,\n\t"line_number": 1, "product_id": "P1", "quantity": 2, '
        '"unit_price": "19.99"}, {"line_number":2,"product_id":"P2","quantity":1,'
        '"unit_price":5.00}]'
    )

    row = validate(order(lines=lines)).row(0, named=True)

    assert row["_quarantine_reason"] is None
    assert row["lines"] == [
        {
            "line_number": 1,
            "product_id": "P1",
            "quantity": 2,
            "unit_price": Decimal("19.99"),
            "discount": Decimal("0.50"),
        },
        {
            "line_number": 2,
            "product_id": "P2",
            "quantity": 1,
            "unit_price": Decimal("5.00"),
            "discount": Decimal("0.00"),
        },
    ]
    # 2 x 19.99 - 0.50 + 1 x 5.00 - 0.00 = 39.48 + 5.00
    assert row["order_total"] == Decimal("44.48")


@pytest.mark.parametrize(
    ("lines", "line_number", "product_id"),
    [
        # A repeated key: the canonical form keeps the last value (raw decoding, the first).
        (
            '[{"discount": 0, "line_number": 1, "line_number": 2, "product_id": "P1", '
            '"quantity": 2, "unit_price": 5}]',
            2,
            "P1",
        ),
        # An escape in a string.
        (sorted_line(product_id='"P\\u0031"', unit_price="5"), 1, "P1"),
        # A number with an exponent.
        (sorted_line(unit_price="5e0"), 1, "P1"),
        # A key that is not a line field.
        (sorted_line(unit_price="5", zzz='"x"'), 1, "P1"),
    ],
)
def test_document_that_is_not_plain_is_canonicalised_then_decoded(
    lines: str, line_number: int, product_id: str
) -> None:
    row = validate(order(lines=lines)).row(0, named=True)

    assert row["_quarantine_reason"] is None
    assert row["lines"] == [
        {
            "line_number": line_number,
            "product_id": product_id,
            "quantity": 2,
            "unit_price": Decimal("5.0000"),
            "discount": Decimal("0.00"),
        }
    ]


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        # A form feed between values is not JSON whitespace: decoding it raw would fail the
        # whole column.
        (sorted_line(unit_price="5", after="\f"), "lines: not valid JSON"),
        # A raw tab inside a string is not JSON.
        (sorted_line(product_id='"P\t1"', unit_price="5"), "lines: not valid JSON"),
        # Canonicalised, -0 becomes the float -0.0 (read raw, it would be '0').
        (sorted_line(quantity="-0", unit_price="5"), "lines[1].quantity: not positive: '-0'"),
        # The last of two unit prices counts.
        (
            sorted_line(unit_price="5.1234", after=', "unit_price": 5.12345'),
            "lines[1].unit_price: more than 4 decimals: '5.12345'",
        ),
        # More than 15 digits: the canonical float's text.
        (
            sorted_line(unit_price="0.1234567890123456"),
            "lines[1].unit_price: more than 4 decimals: '0.1234567890123456'",
        ),
    ],
)
def test_document_that_is_not_plain_is_quarantined_by_the_canonical_reading(
    lines: str, reason: str
) -> None:
    result = validate(order(), order(order_id="O2", lines=lines))

    assert result["_quarantine_reason"][0] is None
    assert result["_quarantine_reason"][1].startswith(reason)
