"""The shipped policy file: complete for every bronze table, consistent with the contracts."""

from pathlib import Path

import pytest

from retail_platform.contracts import bronze, gold, silver
from retail_platform.pii.engine import PolicyValidationError, load_policy

# Every bronze entity that silver reads (the S3 manifest is bookkeeping, not an entity).
BRONZE_TABLES = {
    "customers": bronze.CUSTOMERS,
    "orders": bronze.ORDERS,
    "payments": bronze.PAYMENTS,
    "products": bronze.PRODUCTS,
    "partner_sales": bronze.PARTNER_SALES,
    "reviews": bronze.REVIEWS,
    "partners": bronze.PARTNERS,
    "inventory": bronze.INVENTORY,
}
# Silver tables made from one bronze table through the policy: their PII tags must say what
# the policy does.
SILVER_OF = {
    "customers": silver.CUSTOMERS,
    "reviews": silver.REVIEWS,
    "partners": silver.PARTNERS,
}


@pytest.mark.parametrize("table", sorted(BRONZE_TABLES))
def test_policy_lists_every_column_of_every_bronze_table(table: str) -> None:
    policy = load_policy()

    assert set(policy.for_table(table).columns) == set(BRONZE_TABLES[table].column_names)


@pytest.mark.parametrize("table", sorted(BRONZE_TABLES))
def test_every_raw_pii_column_of_every_bronze_table_is_masked(table: str) -> None:
    rules = load_policy().for_table(table).columns

    for column in BRONZE_TABLES[table].columns:
        if column.pii:
            assert rules[column.name].pii_class == column.pii, (table, column.name)
            assert rules[column.name].action != "keep", (table, column.name)


# Worked out by hand from policy.yaml: silver column -> (bronze column it is made from, PII
# class, the policy's action, the tag the UI shows). generalize_year and prefix both show as
# "generalize".
MASKED_SILVER_COLUMNS = {
    "customers": {
        "email_token": ("email", "email", "hmac_token", "hmac_token"),
        "phone_token": ("phone", "phone", "hmac_token", "hmac_token"),
        "birth_year": ("birth_date", "birth_date", "generalize_year", "generalize"),
        "postcode_prefix": ("address_postcode", "address", "prefix", "generalize"),
    },
    "reviews": {"text": ("text", "free_text", "redact_patterns", "redact_patterns")},
    "partners": {"contact_email": ("contact_email", "email", "partial_email", "partial_email")},
}


@pytest.mark.parametrize("table", sorted(SILVER_OF))
def test_silver_column_tags_show_the_class_and_action_the_policy_applies(table: str) -> None:
    """The column schema in the Dagster UI carries the policy: class and action per column."""
    expected = MASKED_SILVER_COLUMNS[table]
    rules = load_policy().for_table(table).columns

    tagged = {
        column.name: (column.pii, column.masking)
        for column in SILVER_OF[table].columns
        if column.pii
    }
    assert tagged == {name: (pii, tag) for name, (_, pii, _, tag) in expected.items()}
    for name, (source, pii, action, _) in expected.items():
        rule = rules[source]
        assert (rule.pii_class, rule.action, rule.output_name) == (pii, action, name)


def test_gold_pii_columns_carry_the_tags_of_their_silver_source() -> None:
    silver_tags = {
        (contract.name, column.name): (column.pii, column.masking)
        for contract in SILVER_OF.values()
        for column in contract.columns
    }
    for contract in gold.GOLD_TABLES:
        for column in contract.columns:
            if column.pii:
                source = column.lineage[0].removeprefix("silver/").split(".")
                assert silver_tags[tuple(source)] == (column.pii, column.masking), column.name


def test_customers_policy_matches_the_silver_design() -> None:
    rules = load_policy().for_table("customers").columns

    summary = {
        name: (rule.action, rule.output, rule.length)
        for name, rule in rules.items()
        if rule.action != "keep" or rule.output
    }

    assert summary == {
        "first_name": ("drop", None, None),
        "last_name": ("drop", None, None),
        "email": ("hmac_token", "email_token", None),
        "phone": ("hmac_token", "phone_token", None),
        "birth_date": ("generalize_year", "birth_year", None),
        "address_street": ("drop", None, None),
        "address_city": ("keep", "city", None),
        "address_postcode": ("prefix", "postcode_prefix", 2),
        "address_country": ("keep", "country", None),
        "_raw": ("redact", None, None),
    }


def write_policy(tmp_path: Path, column_yaml: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "version: 1\ntables:\n  customers:\n    columns:\n      customer_id: {class: none, "
        f"action: keep}}\n      {column_yaml}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("column_yaml", "message"),
    [
        ("email: {class: email, action: scramble}", "column 'email': unknown action 'scramble'"),
        ("email: {class: mail, action: drop}", "column 'email': unknown class 'mail'"),
        ("email: {class: email, action: hmac_token}", "column 'email': action 'hmac_token' needs"),
        ("zip: {class: address, action: prefix}", "column 'zip': action 'prefix' needs"),
        ("zip: {class: address, action: keep, length: 2}", "column 'zip': 'length' only"),
        ("email: {class: email, acton: drop}", "column 'email': unknown key"),
        ("email: {class: email, action: drop, output: x}", "column 'email': a dropped column"),
        ("id2: {class: none, action: keep, output: customer_id}", "customer_id twice"),
    ],
)
def test_invalid_policy_is_rejected_naming_table_and_column(
    tmp_path: Path, column_yaml: str, message: str
) -> None:
    path = write_policy(tmp_path, column_yaml)

    with pytest.raises(PolicyValidationError, match="table 'customers'") as error:
        load_policy(path)

    assert message in str(error.value)
