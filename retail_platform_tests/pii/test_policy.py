"""The shipped policy file: complete for every bronze table, consistent with the contracts."""

from pathlib import Path

import pytest

from retail_platform.contracts import bronze
from retail_platform.pii.engine import PolicyValidationError, load_policy

BRONZE_TABLES = {
    "customers": bronze.CUSTOMERS,
    "orders": bronze.ORDERS,
    "payments": bronze.PAYMENTS,
    "products": bronze.PRODUCTS,
    "partner_sales": bronze.PARTNER_SALES,
}


@pytest.mark.parametrize("table", sorted(BRONZE_TABLES))
def test_policy_lists_every_column_of_every_bronze_table(table: str) -> None:
    policy = load_policy()

    assert set(policy.for_table(table).columns) == set(BRONZE_TABLES[table].column_names)


def test_contract_pii_columns_are_classified_alike_and_never_kept() -> None:
    rules = load_policy().for_table("customers").columns

    for column in bronze.CUSTOMERS.columns:
        if column.pii:
            assert rules[column.name].pii_class == column.pii, column.name
            assert rules[column.name].action != "keep", column.name


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
