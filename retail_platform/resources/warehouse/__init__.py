"""Snowflake warehouse resources: the only code that knows how to reach Snowflake.

- ``SnowflakeWarehouse`` loads frames into ``DATABASE.SCHEMA.<TABLE>`` atomically and
  incrementally (see ``loader``); the same SQL runs against the local fakesnow server. Its
  connections are opened by dagster-snowflake's ``SnowflakeResource`` (password or key pair;
  the local server's host, port and protocol through ``additional_snowflake_connection_args``).
- ``SnowflakeGovernance`` applies governance statements (roles, grants, masking policies,
  constraints, comments) on Snowflake, or renders them to a file where it cannot run them.
"""

from retail_platform.resources.warehouse.governance import (
    GovernanceOutcome,
    SnowflakeGovernance,
    Statement,
    render_sql,
)
from retail_platform.resources.warehouse.loader import TableLoad
from retail_platform.resources.warehouse.objects import STATE_TABLE
from retail_platform.resources.warehouse.plan import (
    AUDIT_COLUMNS,
    LOAD_ID_COLUMN,
    LOADED_AT_COLUMN,
    PrimaryKeyViolationError,
    WarehouseColumn,
    plan_load,
)
from retail_platform.resources.warehouse.resource import LoadResult, SnowflakeWarehouse
from retail_platform.resources.warehouse.runner import StatementRunner, WarehouseLoadError
from retail_platform.sql_text import (
    InvalidIdentifierError,
    UnsupportedColumnTypeError,
    quote_identifier,
    snowflake_type,
    string_literal,
    validate_identifier,
)

__all__ = [
    "AUDIT_COLUMNS",
    "LOADED_AT_COLUMN",
    "LOAD_ID_COLUMN",
    "STATE_TABLE",
    "GovernanceOutcome",
    "InvalidIdentifierError",
    "LoadResult",
    "PrimaryKeyViolationError",
    "SnowflakeGovernance",
    "SnowflakeWarehouse",
    "Statement",
    "StatementRunner",
    "TableLoad",
    "UnsupportedColumnTypeError",
    "WarehouseColumn",
    "WarehouseLoadError",
    "plan_load",
    "quote_identifier",
    "render_sql",
    "snowflake_type",
    "string_literal",
    "validate_identifier",
]
