import hashlib
import hmac

import polars as pl
import pytest

from retail_platform.pii.engine import (
    ColumnRule,
    MaskingPolicy,
    MissingSecretError,
    TablePolicy,
    UnclassifiedColumnError,
    UnclassifiedTableError,
    apply_policy,
    load_policy,
    redact_free_text,
)

SECRET = b"secret-one"


def hmac_hex(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def policy_of(*rules: ColumnRule) -> MaskingPolicy:
    columns = {rule.column: rule for rule in rules}
    return MaskingPolicy(version=1, tables={"people": TablePolicy("people", columns)})


PEOPLE = policy_of(
    ColumnRule("id", "none", "keep"),
    ColumnRule("name", "name", "drop"),
    ColumnRule("email", "email", "hmac_token", output="email_token"),
    ColumnRule("phone", "phone", "hmac_token", output="phone_token"),
    ColumnRule("born", "birth_date", "generalize_year", output="birth_year"),
    ColumnRule("postcode", "address", "prefix", output="postcode_prefix", length=2),
    ColumnRule("notes", "free_text", "redact"),
    ColumnRule("contact", "email", "partial_email"),
)

PEOPLE_FRAME = pl.LazyFrame(
    {
        "id": ["1", "2", "3"],
        "name": ["Ada Lovelace", "Alan Turing", None],
        "email": ["Ada@Example.com", "  ada@example.COM ", None],
        "phone": ["+44 20 7946 0958", "+44 (20) 7946-0958", "020 7946 0958"],
        "born": ["1815-12-10", "10/12/1815", "1912-06-23T00:00:00Z"],
        "postcode": ["SW1A 1AA", " M1 1AE", None],
        "notes": ["likes maths", None, "call me"],
        "contact": ["Ada@Example.COM", "not-an-email", None],
    }
)


def mask(secret: bytes = SECRET) -> pl.DataFrame:
    return apply_policy(PEOPLE_FRAME, "people", PEOPLE, secret).collect()


def test_actions_produce_the_masked_columns_in_input_order() -> None:
    result = mask()

    assert result.columns == [
        "id",
        "email_token",
        "phone_token",
        "birth_year",
        "postcode_prefix",
        "notes",
        "contact",
    ]
    assert result.schema["birth_year"] == pl.Int32
    assert result["birth_year"].to_list() == [1815, None, 1912]
    assert result["postcode_prefix"].to_list() == ["SW", "M1", None]
    assert result["notes"].to_list() == ["[REDACTED]", None, "[REDACTED]"]
    assert result["contact"].to_list() == ["***@example.com", "***", None]


def test_same_email_in_any_case_or_spacing_gets_the_same_token() -> None:
    tokens = mask()["email_token"].to_list()

    assert tokens == [hmac_hex(SECRET, "ada@example.com")] * 2 + [None]


def test_phone_token_uses_digits_with_leading_plus_kept() -> None:
    tokens = mask()["phone_token"].to_list()

    assert tokens == [
        hmac_hex(SECRET, "+442079460958"),
        hmac_hex(SECRET, "+442079460958"),
        hmac_hex(SECRET, "02079460958"),
    ]


def test_a_different_secret_changes_every_token() -> None:
    first, second = mask(b"secret-one"), mask(b"secret-two")

    for column in ("email_token", "phone_token"):
        pairs = [
            (a, b) for a, b in zip(first[column], second[column], strict=True) if a is not None
        ]
        assert pairs
        assert all(a != b for a, b in pairs)


def test_no_raw_value_of_a_masked_column_remains_anywhere() -> None:
    result = mask()
    masked_columns = ["name", "email", "phone", "born", "postcode", "notes", "contact"]
    raw_values = {
        value.strip()
        for column in masked_columns
        for value in PEOPLE_FRAME.collect()[column].to_list()
        if value is not None
    }

    cells = [cell for row in result.select(pl.all().cast(pl.String)).rows() for cell in row if cell]

    leaks = {raw for raw in raw_values for cell in cells if raw in cell}
    assert leaks == set()


def test_unclassified_column_fails_closed_naming_table_and_column() -> None:
    frame = PEOPLE_FRAME.with_columns(nickname=pl.lit("Addy"))

    with pytest.raises(UnclassifiedColumnError, match=r"table 'people'.*nickname"):
        apply_policy(frame, "people", PEOPLE, SECRET)


def test_table_missing_from_the_policy_fails_closed() -> None:
    with pytest.raises(UnclassifiedTableError, match="'visitors'"):
        apply_policy(PEOPLE_FRAME, "visitors", PEOPLE, SECRET)


def test_empty_secret_fails_closed() -> None:
    with pytest.raises(MissingSecretError):
        apply_policy(PEOPLE_FRAME, "people", PEOPLE, b"")


def test_shipped_policy_masks_a_new_customer_field_only_after_classification() -> None:
    frame = pl.LazyFrame({"customer_id": ["C1"], "shoe_size": ["42"]})

    with pytest.raises(UnclassifiedColumnError, match=r"table 'customers'.*shoe_size"):
        apply_policy(frame, "customers", load_policy(), SECRET)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("write to ada.l@example.co.uk please", "write to [EMAIL] please"),
        ("call +44 20 7946 0958 after 5", "call [PHONE] after 5"),
        ("call (020) 7946 0958", "call [PHONE]"),
        ("paid with 4111 1111 1111 1111!", "paid with [CARD]!"),
        ("card 4111-1111-1111-1111, mail a@b.io", "card [CARD], mail [EMAIL]"),
        ("great fit, size 42, 19.99 well spent on 2026-10-31", None),
        (None, None),
    ],
)
def test_redact_free_text(text: str | None, redacted: str | None) -> None:
    frame = pl.DataFrame({"review": [text]}, schema={"review": pl.String})

    result = frame.select(redact_free_text(pl.col("review"))).item()

    assert result == (text if redacted is None else redacted)


def test_redact_patterns_action_keeps_free_text_but_removes_contacts_and_cards() -> None:
    policy = policy_of(
        ColumnRule("id", "none", "keep"), ColumnRule("text", "free_text", "redact_patterns")
    )
    frame = pl.LazyFrame(
        {
            "id": ["1", "2"],
            "text": ["Fits well. ada@example.com / +31 6 12345678", "Card 4111 1111 1111 1111"],
        }
    )

    result = apply_policy(frame, "people", policy, SECRET).collect()

    assert result["text"].to_list() == ["Fits well. [EMAIL] / [PHONE]", "Card [CARD]"]


def test_masked_outputs_name_the_columns_whose_values_change() -> None:
    outputs = PEOPLE.for_table("people").masked_outputs()

    assert {name: rule.action for name, rule in outputs.items()} == {
        "email_token": "hmac_token",
        "phone_token": "hmac_token",
        "birth_year": "generalize_year",
        "postcode_prefix": "prefix",
        "notes": "redact",
        "contact": "partial_email",
    }
