"""Choosing the environment, and prod's refusal to load without its variables."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from retail_platform.environment import (
    PROD_REQUIRED_VARIABLES,
    Environment,
    MissingEnvironmentVariableError,
    UnknownEnvironmentError,
    current_environment,
)

PROD_VALUES = {
    "RETAIL_LAKE_ROOT": "s3://acme-lake/retail",
    "COMMERCE_API_BASE_URL": "https://api.shop.example",
    "COMMERCE_API_TOKEN": "token-from-vault",
    "PARTNER_DROPS_BUCKET": "acme-partner-drops",
    "MONGODB_URI": "mongodb://db.example:27017",
    "RETAIL_PII_HMAC_KEY": "hmac-key-from-vault",
    "SNOWFLAKE_ACCOUNT": "acme-xy12345",
    "SNOWFLAKE_USER": "RETAIL_LOADER",
    "SNOWFLAKE_WAREHOUSE": "TRANSFORMING",
    "SNOWFLAKE_PASSWORD": "password-from-vault",
}


@pytest.fixture
def prod_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("RETAIL_PLATFORM_ENV", "prod")
    for name, value in PROD_VALUES.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_local_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETAIL_PLATFORM_ENV", raising=False)
    assert current_environment() is Environment.LOCAL


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAIL_PLATFORM_ENV", "staging")
    with pytest.raises(UnknownEnvironmentError, match="'staging' is not an environment"):
        current_environment()


@pytest.mark.parametrize("missing", PROD_REQUIRED_VARIABLES)
def test_prod_without_a_variable_fails_at_load_naming_it(
    prod_env: pytest.MonkeyPatch, missing: str
) -> None:
    from retail_platform.definitions import build_definitions

    prod_env.delenv(missing)
    with pytest.raises(MissingEnvironmentVariableError) as error:
        build_definitions()
    assert str(error.value).endswith(f"which are not set: {missing}"), "names only the missing one"


def test_prod_without_any_snowflake_credential_names_both_options(
    prod_env: pytest.MonkeyPatch,
) -> None:
    from retail_platform.definitions import build_definitions

    prod_env.delenv("SNOWFLAKE_PASSWORD")
    expected = "SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH"
    with pytest.raises(MissingEnvironmentVariableError, match=expected):
        build_definitions()


def test_prod_loads_with_every_variable_and_keeps_secrets_as_env_vars(
    prod_env: pytest.MonkeyPatch,
) -> None:
    from retail_platform.definitions import build_definitions

    definitions = build_definitions()
    definitions.resolve_all_job_defs()
    for key in ("commerce_api", "customer_db", "pii_masking", "warehouse"):
        dumped = repr(definitions.resources[key])
        for secret in ("token-from-vault", "hmac-key-from-vault", "password-from-vault"):
            assert secret not in dumped, f"{key} holds the value of a secret, not its EnvVar"
    assert isinstance(definitions.resources["pii_masking"].hmac_secret, dg.EnvVar)


def test_local_definitions_load_without_a_running_stack(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from retail_platform.definitions import build_definitions

    monkeypatch.setenv("RETAIL_PLATFORM_STATE_DIR", str(tmp_path))
    definitions = build_definitions(Environment.LOCAL)
    keys = {key.to_user_string() for key in definitions.resolve_asset_graph().get_all_asset_keys()}
    expected = {
        f"warehouse/{table}"
        for table in ("dim_customer", "dim_product", "dim_date", "fact_order_lines", "kpi_daily")
    }
    assert expected <= keys
    assert {"bronze/orders", "bronze/customers", "silver/customers", "gold/kpi_daily"} <= keys


def test_each_environment_sets_its_lake_file_size(
    prod_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from retail_platform.definitions import build_definitions

    prod_lake = build_definitions().resources["lake"]
    prod_env.setenv("RETAIL_PLATFORM_STATE_DIR", str(tmp_path))
    local_lake = build_definitions(Environment.LOCAL).resources["lake"]
    assert prod_lake.target_file_size_bytes == 128 * 1024 * 1024
    assert local_lake.target_file_size_bytes == 8 * 1024 * 1024
    # Both lay tables out by the contracts' clustering columns.
    assert prod_lake.cluster_columns("gold", "fact_order_lines") == ["date_key"]
    assert local_lake.cluster_columns("silver", "orders") == ["order_id"]


def test_the_reporting_currency_is_one_variable_read_when_definitions_are_built(
    prod_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from retail_platform.definitions import build_definitions

    default = build_definitions().resources["fx_feed"]
    prod_env.setenv("RETAIL_REPORTING_CURRENCY", "usd")
    prod_env.setenv("RETAIL_FX_FEED_URL", "https://mirror.example/eurofxref-hist.zip")
    usd = build_definitions().resources["fx_feed"]
    prod_env.setenv("RETAIL_PLATFORM_ENV", "local")
    prod_env.setenv("RETAIL_PLATFORM_STATE_DIR", str(tmp_path))
    local = build_definitions().resources["fx_feed"]

    assert (default.reporting_currency, default.url) == (
        "EUR",
        "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip",
    )
    assert usd.reporting_currency == "USD"
    assert usd.url == dg.EnvVar("RETAIL_FX_FEED_URL")
    assert local.reporting_currency == "USD"
