"""Which environment Definitions are built for, and the resources each one uses.

One resource dict per environment; asset code never changes between them. The environment is
read when Definitions are built (never at import), so tests can switch it with one variable.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import dagster as dg

from retail_platform.automation.maintenance import LakeMaintenancePolicy
from retail_platform.quality.publish import AuditedDeltaIOManager
from retail_platform.resources.alerts import AlertWebhookResource
from retail_platform.resources.fx import FxRatesFeedResource
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.lake_layout import (
    LOCAL_TARGET_FILE_SIZE,
    PRODUCTION_TARGET_FILE_SIZE,
)
from retail_platform.resources.mongo import MongoResource
from retail_platform.resources.pii import PiiMaskingResource
from retail_platform.resources.rest import CommerceApiResource
from retail_platform.resources.s3 import PartnerDropsResource
from retail_platform.resources.warehouse import SnowflakeGovernance, SnowflakeWarehouse

ENVIRONMENT_VARIABLE = "RETAIL_PLATFORM_ENV"
REPORTING_CURRENCY_VARIABLE = "RETAIL_REPORTING_CURRENCY"
STATE_DIR_VARIABLE = "RETAIL_PLATFORM_STATE_DIR"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Used only when the local stack is not running, so that loading Definitions still works and
# a materialization fails with a message that says what is missing.
STACK_NOT_RUNNING = "stack-not-running.invalid"


class Environment(StrEnum):
    LOCAL = "local"
    PROD = "prod"


class UnknownEnvironmentError(ValueError):
    pass


def current_environment() -> Environment:
    value = os.environ.get(ENVIRONMENT_VARIABLE, Environment.LOCAL.value).strip().lower()
    try:
        return Environment(value)
    except ValueError:
        choices = ", ".join(e.value for e in Environment)
        raise UnknownEnvironmentError(
            f"{ENVIRONMENT_VARIABLE}={value!r} is not an environment; choose one of: {choices}"
        ) from None


def local_state_dir() -> Path:
    return Path(os.environ.get(STATE_DIR_VARIABLE, PROJECT_ROOT / ".local")).resolve()


def resources_for(environment: Environment) -> dict[str, Any]:
    if environment is Environment.PROD:
        return prod_resources()
    return local_resources(local_state_dir())


PROD_REQUIRED_VARIABLES = (
    "RETAIL_LAKE_ROOT",
    "COMMERCE_API_BASE_URL",
    "COMMERCE_API_TOKEN",
    "PARTNER_DROPS_BUCKET",
    "MONGODB_URI",
    "RETAIL_PII_HMAC_KEY",
    "SNOWFLAKE_ACCOUNT",
    "SNOWFLAKE_USER",
    "SNOWFLAKE_WAREHOUSE",
)


class MissingEnvironmentVariableError(RuntimeError):
    pass


def prod_resources() -> dict[str, Any]:
    """Every endpoint and credential comes from an environment variable through `EnvVar`.

    Values are resolved by Dagster when a resource is used, so secrets never pass through this
    code; presence is checked here so that a missing variable fails the load, by name.
    """
    missing = [name for name in PROD_REQUIRED_VARIABLES if not os.environ.get(name)]
    if not (os.environ.get("SNOWFLAKE_PASSWORD") or os.environ.get("SNOWFLAKE_PRIVATE_KEY_PATH")):
        missing.append("SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH")
    if missing:
        raise MissingEnvironmentVariableError(
            f"{ENVIRONMENT_VARIABLE}=prod needs these environment variables, which are not set: "
            + ", ".join(missing)
        )
    lake = LakeResource(
        root=dg.EnvVar("RETAIL_LAKE_ROOT"),
        storage_options=_present(
            {"AWS_REGION": "AWS_REGION", "AWS_ENDPOINT_URL": "RETAIL_LAKE_ENDPOINT_URL"}
        ),
        target_file_size_bytes=PRODUCTION_TARGET_FILE_SIZE,
    )
    return {
        "lake": lake,
        "io_manager": AuditedDeltaIOManager(lake=lake),
        "commerce_api": CommerceApiResource(
            base_url=dg.EnvVar("COMMERCE_API_BASE_URL"), api_token=dg.EnvVar("COMMERCE_API_TOKEN")
        ),
        "partner_drops": PartnerDropsResource(
            bucket=dg.EnvVar("PARTNER_DROPS_BUCKET"),
            **_optional(
                {"endpoint_url": "PARTNER_DROPS_ENDPOINT_URL", "region_name": "AWS_REGION"}
            ),
        ),
        "customer_db": MongoResource(
            uri=dg.EnvVar("MONGODB_URI"), **_optional({"database": "MONGODB_DATABASE"})
        ),
        "pii_masking": PiiMaskingResource(hmac_secret=dg.EnvVar("RETAIL_PII_HMAC_KEY")),
        "fx_feed": FxRatesFeedResource(
            reporting_currency=reporting_currency(), **_optional({"url": "RETAIL_FX_FEED_URL"})
        ),
        **warehouse_resources(
            SnowflakeWarehouse(
                account=dg.EnvVar("SNOWFLAKE_ACCOUNT"),
                user=dg.EnvVar("SNOWFLAKE_USER"),
                warehouse=dg.EnvVar("SNOWFLAKE_WAREHOUSE"),
                **_optional(
                    {
                        "password": "SNOWFLAKE_PASSWORD",
                        "private_key_path": "SNOWFLAKE_PRIVATE_KEY_PATH",
                        "private_key_passphrase": "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
                        "database": "SNOWFLAKE_DATABASE",
                        "schema_name": "SNOWFLAKE_SCHEMA",
                        "role": "SNOWFLAKE_ROLE",
                    }
                ),
            ),
            # Governance runs on Snowflake; BI readers may get their own warehouse.
            apply=True,
            bi_warehouse=dg.EnvVar(
                "SNOWFLAKE_BI_WAREHOUSE"
                if os.environ.get("SNOWFLAKE_BI_WAREHOUSE")
                else "SNOWFLAKE_WAREHOUSE"
            ),
            **_optional({"admin_role": "SNOWFLAKE_GOVERNANCE_ROLE"}),
        ),
        **operations_resources(),
    }


def warehouse_resources(warehouse: SnowflakeWarehouse, **governance: Any) -> dict[str, Any]:
    """The loader and the governance of the same Snowflake schema (docs/powerbi.md)."""
    return {
        "warehouse": warehouse,
        "warehouse_governance": SnowflakeGovernance(warehouse=warehouse, **governance),
    }


def operations_resources() -> dict[str, Any]:
    """Alerting and lake maintenance: the same in every environment (docs/operations.md)."""
    return {
        # The webhook URL holds the webhook's secret: EnvVar only, and only when set.
        "alert_webhook": AlertWebhookResource(
            **_optional({"url": "RETAIL_ALERT_WEBHOOK_URL", "ui_base_url": "RETAIL_DAGSTER_UI_URL"})
        ),
        "lake_maintenance": LakeMaintenancePolicy(),
    }


def reporting_currency() -> str:
    """The ISO-4217 currency gold reports in: RETAIL_REPORTING_CURRENCY, EUR when unset."""
    return (os.environ.get(REPORTING_CURRENCY_VARIABLE) or "EUR").strip().upper()


def _optional(fields_to_variables: dict[str, str]) -> dict[str, dg.EnvVar]:
    """EnvVar for each optional field whose variable is set; unset ones keep their default."""
    return {
        field: dg.EnvVar(variable)
        for field, variable in fields_to_variables.items()
        if os.environ.get(variable)
    }


def _present(options_to_variables: dict[str, str]) -> dict[str, str]:
    """Non-secret storage options (delta-rs takes plain strings, not EnvVar)."""
    return {
        option: os.environ[variable]
        for option, variable in options_to_variables.items()
        if os.environ.get(variable)
    }


def local_resources(state_dir: Path) -> dict[str, Any]:
    """The embedded stack: endpoints from the running stack's state file, data under state_dir."""
    from retail_platform.local.fx_feed import FEED_PATH as FX_FEED_PATH
    from retail_platform.local.fx_feed import SNAPSHOT as FX_SNAPSHOT
    from retail_platform.local.mongo import EmbeddedMongoResource
    from retail_platform.local.stack import LOCAL_ONLY_API_TOKEN, StackConfig, load_state

    state = load_state(state_dir)
    config = StackConfig()
    fx_service = None
    if state is None:
        rest_url, token = f"http://{STACK_NOT_RUNNING}", LOCAL_ONLY_API_TOKEN
        s3_url, bucket, snowflake_host, snowflake_port = (
            f"http://{STACK_NOT_RUNNING}",
            config.s3_bucket,
            STACK_NOT_RUNNING,
            1,
        )
        seed, scale, end_date, days = config.seed, config.scale, "", 0
    else:
        endpoints = state.endpoints
        rest_url, token = endpoints.rest_base_url, endpoints.api_token
        fx_service = state.services.get("fx")
        s3_url, bucket = endpoints.s3_endpoint_url, endpoints.s3_bucket
        snowflake_host, snowflake_port = endpoints.snowflake_host, endpoints.snowflake_port
        seed, scale, end_date, days = state.seed, state.scale, state.end_date, state.days
    lake = LakeResource(root=str(state_dir / "lake"), target_file_size_bytes=LOCAL_TARGET_FILE_SIZE)
    return {
        "lake": lake,
        "io_manager": AuditedDeltaIOManager(lake=lake),
        "commerce_api": CommerceApiResource(base_url=rest_url, api_token=token),
        "partner_drops": PartnerDropsResource(
            bucket=bucket,
            endpoint_url=s3_url,
            aws_access_key_id="local-stack",
            aws_secret_access_key="local-stack",
        ),
        "customer_db": EmbeddedMongoResource(
            seed=seed, scale=scale, end_date=end_date, days=days, state_dir=str(state_dir)
        ),
        # The stand-in serves the shipped snapshot; without a running stack (benchmarks, a
        # materialization from the CLI) the same snapshot is read from the package.
        "fx_feed": FxRatesFeedResource(
            url=fx_service.url + FX_FEED_PATH if fx_service else FX_SNAPSHOT.as_uri(),
            reporting_currency=reporting_currency(),
        ),
        # The embedded data is synthetic; a real key comes from RETAIL_PII_HMAC_KEY in prod.
        "pii_masking": PiiMaskingResource(
            hmac_secret=os.environ.get("RETAIL_PII_HMAC_KEY", LOCAL_ONLY_PII_KEY)
        ),
        **warehouse_resources(
            SnowflakeWarehouse(
                account="fakesnow",
                user="fake",
                password="snow",
                host=snowflake_host,
                port=snowflake_port,
                protocol="http",
                create_database_if_missing=True,
            ),
            # fakesnow cannot run roles, grants or masking policies: render them for review.
            apply=False,
            render_path=str(state_dir / "governance" / "retail_gold_governance.sql"),
        ),
        **operations_resources(),
    }


LOCAL_ONLY_PII_KEY = "local-only-pii-key-not-a-secret"


def local_live_interval(state_dir: Path) -> int:
    """Seconds per tick of the running stack's live flow; 0 when it is not live (or stopped)."""
    from retail_platform.local.stack import load_state

    state = load_state(state_dir)
    if state is None or not state.live_since or state.live_stopped_at:
        return 0
    return state.live_interval_seconds


def local_partitions_start(state_dir: Path) -> str:
    """The first day of the local data window: the running stack's, else the lake's recorded
    one, else the window a new stack would serve today (13 months up to yesterday)."""
    from retail_platform.local.origin import recorded_lake_origin
    from retail_platform.local.stack import load_state
    from retail_platform.local.window import data_end_date, window_days

    state = load_state(state_dir)
    origin = state.origin if state is not None and state.days else None
    origin = origin or recorded_lake_origin(state_dir)
    if origin is not None:
        end = date.fromisoformat(origin.end_date)
        return (end - timedelta(days=origin.days - 1)).isoformat()
    end = data_end_date()
    return (end - timedelta(days=window_days(end) - 1)).isoformat()
