"""The semantic model derived from the gold contracts: what Power BI users get to work with.

Every gold table becomes a model table reading ``DATABASE.SCHEMA.<TABLE>`` through the
Snowflake connector; columns are typed from the contract (money as fixed decimal, dates as
dates); each resolvable foreign key becomes a many-to-one relationship; dim_date is marked as
the date table; surrogate keys are hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from retail_platform.contracts.model import RATE, Column, TableContract
from retail_platform.governance.keys import resolve_foreign_keys
from retail_platform.governance.model import BI_READER_ROLE
from retail_platform.powerbi.measures import MEASURES, UnresolvedReferenceError, resolve
from retail_platform.powerbi.naming import (
    dax_column,
    dax_table,
    display_name,
    lineage_tag,
    table_display_name,
)

DATE_TABLE = "dim_date"
# Name columns sort by their number, so months and weekdays are in calendar order.
SORT_BY = {"month_name": "month", "day_name": "day_of_week"}
FACT_PREFIXES = ("fact_", "kpi_")
NON_ADDITIVE_SUFFIXES = ("_key", "_id", "_number", "version")
NON_ADDITIVE_WORDS = {
    "rate",
    "average",
    "price",
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "since",
}


@dataclass(frozen=True)
class SnowflakeConnection:
    """The values of the model's connection parameters (editable in Power BI Desktop)."""

    server: str = "your-account.snowflakecomputing.com"
    warehouse: str = "COMPUTE_WH"
    role: str = BI_READER_ROLE
    database: str = "RETAIL"
    schema: str = "GOLD"


@dataclass(frozen=True)
class ModelColumn:
    name: str
    source_column: str  # the Snowflake column (upper case)
    data_type: str  # TMDL dataType: int64, decimal, double, string, boolean, dateTime
    m_type: str  # the Power Query type the partition converts the column to
    format_string: str | None
    summarize_by: str
    description: str
    hidden: bool = False
    is_key: bool = False
    sort_by: str | None = None
    is_date_only: bool = False


@dataclass(frozen=True)
class ModelMeasure:
    name: str
    expression: str
    format_string: str
    description: str
    display_folder: str


@dataclass(frozen=True)
class ModelTable:
    name: str
    contract: str
    source_table: str
    description: str
    columns: list[ModelColumn]
    is_date_table: bool = False
    measures: list[ModelMeasure] = field(default_factory=list)

    def column(self, contract_column: str) -> ModelColumn:
        for column in self.columns:
            if column.source_column == contract_column.upper():
                return column
        raise UnresolvedReferenceError(f"{self.contract}.{contract_column}")


@dataclass(frozen=True)
class ModelRelationship:
    name: str
    from_table: str
    from_column: str
    to_table: str
    to_column: str
    is_active: bool = True


@dataclass(frozen=True)
class SemanticModel:
    name: str
    connection: SnowflakeConnection
    tables: list[ModelTable]
    relationships: list[ModelRelationship]
    problems: list[str]

    def table(self, contract: str) -> ModelTable:
        for table in self.tables:
            if table.contract == contract:
                return table
        raise UnresolvedReferenceError(contract)


def _type_of(column: Column) -> tuple[str, str, str | None]:
    """(TMDL dataType, Power Query type, format string) for a contract column."""
    dtype = column.dtype
    if dtype.is_integer():
        return "int64", "Int64.Type", "0"
    if isinstance(dtype, pl.Decimal):
        if dtype.scale <= 4:  # Power BI's fixed decimal keeps 4 places: exact money and rates
            if dtype == RATE:  # fractions (refund rate, commission): shown as percentages
                return "decimal", "Currency.Type", "0.00%"
            return "decimal", "Currency.Type", "#,0.00" if dtype.scale <= 2 else "#,0.0000"
        return "double", "type number", "0." + "0" * dtype.scale  # e.g. exchange rates
    if dtype.is_float():
        return "double", "type number", "#,0.00"
    if dtype == pl.Boolean:
        return "boolean", "type logical", None
    if dtype == pl.Date:
        return "dateTime", "type date", "yyyy-mm-dd"
    if isinstance(dtype, pl.Datetime):
        return "dateTime", "type datetime", "yyyy-mm-dd hh:nn:ss"
    return "string", "type text", None


def _is_additive(contract: TableContract, column: Column, data_type: str) -> bool:
    """Whether summing the column means something: amounts and counts of facts, not keys,
    identifiers, calendar attributes or rates."""
    name = column.name
    return (
        contract.name.startswith(FACT_PREFIXES)
        and data_type in {"int64", "decimal", "double"}
        and name not in contract.primary_key
        and name not in contract.foreign_keys
        and not name.endswith(NON_ADDITIVE_SUFFIXES)
        and not any(word in NON_ADDITIVE_WORDS for word in name.split("_"))
    )


def _model_column(contract: TableContract, column: Column, date_column: str | None) -> ModelColumn:
    data_type, m_type, format_string = _type_of(column)
    summarize = _is_additive(contract, column, data_type)
    if data_type == "int64" and summarize:
        format_string = "#,0"
    sort_by = (
        SORT_BY.get(column.name) if SORT_BY.get(column.name) in contract.column_names else None
    )
    return ModelColumn(
        name=display_name(column.name),
        source_column=column.name.upper(),
        data_type=data_type,
        m_type=m_type,
        format_string=format_string,
        summarize_by="sum" if summarize else "none",
        description=column.description,
        hidden=column.name.endswith("_key"),  # surrogate keys serve relationships only
        is_key=column.name == date_column,
        sort_by=display_name(sort_by) if sort_by else None,
        is_date_only=column.dtype == pl.Date,
    )


def _date_column(contract: TableContract) -> str | None:
    return next((c.name for c in contract.columns if c.dtype == pl.Date), None)


def _tables(contracts: Sequence[TableContract]) -> list[ModelTable]:
    tables = []
    for contract in contracts:
        date_column = _date_column(contract) if contract.name == DATE_TABLE else None
        tables.append(
            ModelTable(
                name=table_display_name(contract.name),
                contract=contract.name,
                source_table=contract.name.upper(),
                description=contract.description,
                columns=[_model_column(contract, c, date_column) for c in contract.columns],
                is_date_table=date_column is not None,
            )
        )
    return tables


def _relationships(
    contracts: Sequence[TableContract], tables: list[ModelTable]
) -> tuple[list[ModelRelationship], list[str]]:
    keys, problems = resolve_foreign_keys(contracts)
    by_contract = {table.contract: table for table in tables}
    relationships, seen_pairs = [], set()
    for key in keys:
        source, target = by_contract[key.table], by_contract[key.ref_table]
        pair = (key.table, key.ref_table)  # a second path between two tables must be inactive
        relationships.append(
            ModelRelationship(
                name=lineage_tag("relationship", key.table, key.column, key.ref_table),
                from_table=source.name,
                from_column=source.column(key.column).name,
                to_table=target.name,
                to_column=target.column(key.ref_column).name,
                is_active=pair not in seen_pairs,
            )
        )
        seen_pairs.add(pair)
    return relationships, problems


def _measures(tables: list[ModelTable]) -> tuple[dict[str, list[ModelMeasure]], list[str]]:
    """Measures by home table (contract name), resolved to the tables' final names."""
    by_contract = {table.contract: table for table in tables}

    def reference(table: str, column: str | None) -> str:
        if table not in by_contract:
            raise UnresolvedReferenceError(table)
        model_table = by_contract[table]
        if column is None:
            return dax_table(model_table.name)
        return dax_column(model_table.name, model_table.column(column).name)

    measures: dict[str, list[ModelMeasure]] = {}
    problems = []
    for spec in MEASURES:
        try:
            if spec.home_table not in by_contract:
                raise UnresolvedReferenceError(spec.home_table)
            expression = resolve(spec.template, reference)
        except UnresolvedReferenceError as missing:
            problems.append(f"measure {spec.name!r} left out: no {missing.args[0]} in gold")
            continue
        measures.setdefault(spec.home_table, []).append(
            ModelMeasure(
                spec.name, expression, spec.format_string, spec.description, spec.display_folder
            )
        )
    return measures, problems


def _without_name_clashes(tables: list[ModelTable], measure_names: set[str]) -> list[ModelTable]:
    """Columns named like a measure (kpi_daily.revenue vs [Revenue]) get their table's name
    after theirs, "Revenue (KPI Daily)", so every name in the field list means one thing."""
    return [
        replace(
            table,
            columns=[
                replace(column, name=f"{column.name} ({table.name})")
                if column.name in measure_names
                else column
                for column in table.columns
            ],
        )
        for table in tables
    ]


def build_semantic_model(
    contracts: Sequence[TableContract],
    connection: SnowflakeConnection | None = None,
    name: str = "Retail",
) -> SemanticModel:
    tables = _without_name_clashes(_tables(contracts), {spec.name for spec in MEASURES})
    # Measures and relationships refer to the final names.
    measures, measure_problems = _measures(tables)
    tables = [replace(table, measures=measures.get(table.contract, [])) for table in tables]
    relationships, key_problems = _relationships(contracts, tables)
    return SemanticModel(
        name=name,
        connection=connection or SnowflakeConnection(),
        tables=tables,
        relationships=relationships,
        problems=[*key_problems, *measure_problems],
    )


def connection_from_environment(environ: Mapping[str, str]) -> SnowflakeConnection:
    """Parameter values from the platform's SNOWFLAKE_* variables, where they are set."""
    defaults = SnowflakeConnection()
    account = environ.get("SNOWFLAKE_ACCOUNT")
    return SnowflakeConnection(
        server=f"{account}.snowflakecomputing.com" if account else defaults.server,
        warehouse=environ.get("SNOWFLAKE_BI_WAREHOUSE")
        or environ.get("SNOWFLAKE_WAREHOUSE")
        or defaults.warehouse,
        role=defaults.role,
        database=environ.get("SNOWFLAKE_DATABASE") or defaults.database,
        schema=environ.get("SNOWFLAKE_SCHEMA") or defaults.schema,
    )
