from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from retail_platform.contracts import bronze, silver
from retail_platform.pii.engine import apply_policy, load_policy
from retail_platform.transforms.silver.reviews import silver_reviews, validate_reviews
from retail_platform.transforms.silver.validation import quarantine_rows, valid_rows
from retail_platform_tests.transforms.silver.bronze_rows import bronze_frame


def review(**overrides: Any) -> dict[str, Any]:
    base = {
        "review_id": "R1",
        "customer_id": "C1",
        "product_id": "P1",
        "rating": "5",
        "text": "Lovely mug. Mail me at ada.l@example.com or call +44 20 7946 0958.",
        "created_at": "2026-10-03T10:00:00Z",
        "updated_at": "2026-10-04T08:00:00Z",
        "_raw": '{"text": "ada.l@example.com"}',
    }
    return {**base, **overrides}


def masked(*rows: dict[str, Any]) -> pl.LazyFrame:
    return apply_policy(bronze_frame(bronze.REVIEWS, *rows), "reviews", load_policy(), b"k")


def test_review_text_keeps_its_words_with_contacts_redacted() -> None:
    result = silver_reviews(valid_rows(validate_reviews(masked(review())))).collect()

    assert result.schema == silver.REVIEWS.polars_schema
    assert result.rows() == [
        (
            "R1",
            "C1",
            "P1",
            5,
            "Lovely mug. Mail me at [EMAIL] or call [PHONE].",
            datetime(2026, 10, 3, 10, 0, tzinfo=UTC),
            datetime(2026, 10, 4, 8, 0, tzinfo=UTC),
            date(2026, 10, 3),
        )
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"rating": "6"}, "rating: not between 1 and 5: '6'"),
        ({"rating": "five"}, "rating: not an integer: 'five'"),
        ({"rating": None}, "rating: missing"),
        ({"product_id": " "}, "product_id: missing"),
        ({"updated_at": "2026-10-02T00:00:00Z"}, "updated_at: before created_at"),
        ({"created_at": "yesterday"}, "created_at: not an ISO-8601 timestamp: 'yesterday'"),
    ],
)
def test_malformed_review_is_quarantined_with_its_reason(
    overrides: dict[str, Any], reason: str
) -> None:
    validated = validate_reviews(masked(review(), {**review(review_id="R2"), **overrides}))

    assert validated.collect()["_quarantine_reason"].to_list() == [None, reason]


def test_quarantined_review_keeps_the_redacted_text_and_no_raw_document() -> None:
    frame = masked(review(rating="9"))

    quarantined = quarantine_rows(validate_reviews(frame), frame.collect_schema()).collect()

    assert quarantined.columns == [*silver.MASKED_REVIEWS.column_names, "_quarantine_reason"]
    row = quarantined.row(0, named=True)
    assert row["text"] == "Lovely mug. Mail me at [EMAIL] or call [PHONE]."
    assert row["_raw"] == "[REDACTED]"
    assert row["rating"] == "9"
