"""TMDL text for the semantic model: one function per file of the ``definition`` folder.

Layout follows the TMDL language reference: one tab per level, object declarations at the
level of their parent's properties, ``name: value`` properties and bare boolean flags one
level below the object, multi-line expressions (DAX, M) below their declaration, and
descriptions as ``///`` lines directly above the object.
"""

from __future__ import annotations

from collections.abc import Iterable

from retail_platform.powerbi.model import (
    ModelColumn,
    ModelMeasure,
    ModelTable,
    SemanticModel,
    SnowflakeConnection,
)
from retail_platform.powerbi.naming import lineage_tag, m_string, tmdl_name

COMPATIBILITY_LEVEL = 1567
CULTURE = "en-US"
PARAMETER_GROUP = "Parameters"
TAB = "\t"


def connection_parameters(connection: SnowflakeConnection) -> dict[str, str]:
    """The M parameters every partition reads; users change them in Power BI Desktop."""
    return {
        "SnowflakeServer": connection.server,
        "SnowflakeWarehouse": connection.warehouse,
        "SnowflakeRole": connection.role,
        "SnowflakeDatabase": connection.database,
        "SnowflakeSchema": connection.schema,
    }


def _description(text: str, depth: int) -> list[str]:
    return [f"{TAB * depth}/// {line}".rstrip() for line in text.splitlines() if line.strip()]


def _expression(text: str, depth: int) -> list[str]:
    return [f"{TAB * depth}{line}" if line.strip() else "" for line in text.splitlines()]


def _lines(lines: Iterable[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"


def database_tmdl(model: SemanticModel) -> str:
    return _lines(
        [f"database {tmdl_name(model.name)}", f"{TAB}compatibilityLevel: {COMPATIBILITY_LEVEL}"]
    )


def model_tmdl(model: SemanticModel) -> str:
    lines = [
        "model Model",
        f"{TAB}culture: {CULTURE}",
        f"{TAB}defaultPowerBIDataSourceVersion: powerBI_V3",
        f"{TAB}sourceQueryCulture: {CULTURE}",
        f"{TAB}dataAccessOptions",
        f"{TAB * 2}legacyRedirects",
        f"{TAB * 2}returnErrorValuesAsNull",
        "",
        f"queryGroup {PARAMETER_GROUP}",
        "",
        f"{TAB}annotation PBI_QueryGroupOrder = 0",
        "",
        # The model has its own marked date table: no hidden auto date tables per date column.
        "annotation __PBI_TimeIntelligenceEnabled = 0",
        "",
    ]
    lines += [f"ref table {tmdl_name(table.name)}" for table in model.tables]
    return _lines(lines)


def expressions_tmdl(model: SemanticModel) -> str:
    lines: list[str] = []
    for name, value in connection_parameters(model.connection).items():
        lines += [
            f"expression {name} = {m_string(value)} meta [IsParameterQuery=true, "
            'Type="Text", IsParameterQueryRequired=true]',
            f"{TAB}lineageTag: {lineage_tag('expression', name)}",
            f"{TAB}queryGroup: {PARAMETER_GROUP}",
            "",
            f"{TAB}annotation PBI_ResultType = Text",
            "",
        ]
    return _lines(lines)


def relationships_tmdl(model: SemanticModel) -> str:
    lines: list[str] = []
    for relationship in model.relationships:
        lines.append(f"relationship {relationship.name}")
        if not relationship.is_active:
            lines.append(f"{TAB}isActive: false")
        lines += [
            f"{TAB}fromColumn: {tmdl_name(relationship.from_table)}."
            f"{tmdl_name(relationship.from_column)}",
            f"{TAB}toColumn: {tmdl_name(relationship.to_table)}."
            f"{tmdl_name(relationship.to_column)}",
            "",
        ]
    return _lines(lines)


def partition_source(table: ModelTable) -> str:
    """Power Query: the Snowflake table, only the contract's columns, typed from the contract."""
    selected = ", ".join(m_string(column.source_column) for column in table.columns)
    types = ", ".join(
        f"{{{m_string(column.source_column)}, {column.m_type}}}" for column in table.columns
    )
    return "\n".join(
        [
            "let",
            "    Source = Snowflake.Databases(SnowflakeServer, SnowflakeWarehouse, "
            "[Role = SnowflakeRole]),",
            '    Database = Source{[Name = SnowflakeDatabase, Kind = "Database"]}[Data],',
            '    Schema = Database{[Name = SnowflakeSchema, Kind = "Schema"]}[Data],',
            f'    Data = Schema{{[Name = {m_string(table.source_table)}, Kind = "Table"]}}[Data],',
            f"    Selected = Table.SelectColumns(Data, {{{selected}}}),",
            f"    Typed = Table.TransformColumnTypes(Selected, {{{types}}})",
            "in",
            "    Typed",
        ]
    )


def _measure(table: ModelTable, measure: ModelMeasure) -> list[str]:
    lines = _description(measure.description, 1)
    if "\n" in measure.expression:
        lines.append(f"{TAB}measure {tmdl_name(measure.name)} =")
        lines += _expression(measure.expression, 3)
    else:
        lines.append(f"{TAB}measure {tmdl_name(measure.name)} = {measure.expression}")
    lines += [
        f"{TAB * 2}formatString: {measure.format_string}",
        f"{TAB * 2}displayFolder: {measure.display_folder}",
        f"{TAB * 2}lineageTag: {lineage_tag('measure', table.contract, measure.name)}",
        "",
    ]
    return lines


def _column(table: ModelTable, column: ModelColumn) -> list[str]:
    lines = _description(column.description, 1)
    lines += [f"{TAB}column {tmdl_name(column.name)}", f"{TAB * 2}dataType: {column.data_type}"]
    lines += [f"{TAB * 2}isHidden"] if column.hidden else []
    lines += [f"{TAB * 2}isKey"] if column.is_key else []
    if column.format_string:
        lines.append(f"{TAB * 2}formatString: {column.format_string}")
    lines += [
        f"{TAB * 2}lineageTag: {lineage_tag('column', table.contract, column.source_column)}",
        f"{TAB * 2}summarizeBy: {column.summarize_by}",
        f"{TAB * 2}sourceColumn: {column.source_column}",
    ]
    if column.sort_by:
        lines.append(f"{TAB * 2}sortByColumn: {tmdl_name(column.sort_by)}")
    lines += ["", f"{TAB * 2}annotation SummarizationSetBy = Automatic"]
    if column.is_date_only:
        lines.append(f"{TAB * 2}annotation UnderlyingDateTimeDataType = Date")
    return [*lines, ""]


def table_tmdl(table: ModelTable) -> str:
    lines = _description(table.description, 0)
    lines.append(f"table {tmdl_name(table.name)}")
    if table.is_date_table:
        lines.append(f"{TAB}dataCategory: Time")
    lines += [f"{TAB}lineageTag: {lineage_tag('table', table.contract)}", ""]
    for measure in table.measures:
        lines += _measure(table, measure)
    for column in table.columns:
        lines += _column(table, column)
    lines += [
        f"{TAB}partition {tmdl_name(table.name)} = m",
        f"{TAB * 2}mode: import",
        f"{TAB * 2}source =",
        *_expression(partition_source(table), 4),
        "",
        f"{TAB}annotation PBI_ResultType = Table",
    ]
    return _lines(lines)
