"""The generated Power BI project, validated against the TMDL grammar and the gold contracts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from retail_platform import cli
from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.contracts.model import Column, TableContract
from retail_platform.powerbi.model import (
    SnowflakeConnection,
    build_semantic_model,
    connection_from_environment,
)
from retail_platform.powerbi.project import write_project
from retail_platform_tests.powerbi.tmdl_reader import Node, parse, read_reference

CONNECTION = SnowflakeConnection(
    server="acme-xy12345.snowflakecomputing.com",
    warehouse="BI_WH",
    role="RETAIL_BI_READER",
    database="RETAIL",
    schema="GOLD",
)
DATA_TYPES = {"int64", "decimal", "double", "string", "boolean", "dateTime"}
PROPERTIES = {
    "table": {"lineageTag", "dataCategory"},
    "column": {
        "dataType",
        "formatString",
        "lineageTag",
        "summarizeBy",
        "sourceColumn",
        "sortByColumn",
        "displayFolder",
    },
    "measure": {"formatString", "displayFolder", "lineageTag"},
    "partition": {"mode"},
    "relationship": {"fromColumn", "toColumn", "isActive"},
    "expression": {"lineageTag", "queryGroup"},
}
REQUIRED_MEASURES = {
    "Revenue",
    "Orders",
    "Average Order Value",
    "New Customers",
    "Returning Customers",
    "Retention Rate",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = build_semantic_model(GOLD_TABLES, CONNECTION)
    assert model.problems == []
    return write_project(model, tmp_path_factory.mktemp("powerbi")).parent


@pytest.fixture(scope="module")
def definition(project: Path) -> Path:
    return project / "Retail.SemanticModel" / "definition"


@pytest.fixture(scope="module")
def tables(definition: Path) -> dict[str, Node]:
    result = {}
    for path in sorted((definition / "tables").glob("*.tmdl")):
        [table] = parse(path.read_text(encoding="utf-8"), str(path))
        assert table.kind == "table" and path.name == f"{table.name}.tmdl"
        result[table.name] = table
    return result


def columns(table: Node) -> dict[str, Node]:
    return {column.name: column for column in table.objects("column")}


def measures(tables: dict[str, Node]) -> dict[str, Node]:
    return {m.name: m for table in tables.values() for m in table.objects("measure")}


def test_every_file_follows_the_grammar_with_known_properties(
    definition: Path, tables: dict[str, Node]
) -> None:
    documents = [parse(p.read_text(encoding="utf-8"), str(p)) for p in definition.glob("*.tmdl")]
    nodes = [node for document in documents for node in document] + list(tables.values())

    def walk(node: Node) -> None:
        allowed = PROPERTIES.get(node.kind)
        if allowed is not None:
            assert set(node.properties) <= allowed, (node.kind, node.name, node.properties)
        for child in node.children:
            walk(child)

    for node in nodes:
        walk(node)


def test_database_and_model_reference_every_table(definition: Path, tables: dict) -> None:
    [database] = parse((definition / "database.tmdl").read_text())
    assert database.kind == "database" and int(database.properties["compatibilityLevel"]) >= 1550
    model_document = parse((definition / "model.tmdl").read_text())
    [model] = [node for node in model_document if node.kind == "model"]
    assert model.properties["culture"] == "en-US"
    references = [node.name for node in model_document if node.kind == "ref table"]
    assert references == list(tables) or sorted(references) == sorted(tables)
    assert {"Customer", "Product", "Date", "Order Lines", "KPI Daily"} <= set(references)
    assert len(references) == len(GOLD_TABLES)


def test_columns_are_typed_from_the_contracts(tables: dict[str, Node]) -> None:
    for table in tables.values():
        table_columns = columns(table)
        assert table_columns, table.name
        for column in table_columns.values():
            assert column.properties["dataType"] in DATA_TYPES, (table.name, column.name)
            assert column.properties["summarizeBy"] in {"none", "sum"}
            assert column.description, (table.name, column.name)
    lines, dates, customers = tables["Order Lines"], tables["Date"], tables["Customer"]
    assert columns(lines)["Net Amount"].properties["dataType"] == "decimal"  # money: exact
    assert columns(lines)["Net Amount"].properties["summarizeBy"] == "sum"
    assert columns(lines)["Unit Price"].properties["summarizeBy"] == "none"
    assert columns(lines)["Order Line Key"].flags == {"isHidden"}
    assert columns(lines)["Order ID"].properties["sourceColumn"] == "ORDER_ID"
    assert columns(dates)["Date"].properties["dataType"] == "dateTime"
    assert columns(dates)["Month Name"].properties["sortByColumn"] == "Month"
    assert columns(customers)["Registered At"].properties["dataType"] == "dateTime"
    assert columns(tables["KPI Daily"])["Refund Rate"].properties["formatString"] == "0.00%"
    # Partner unit prices keep 4 decimals: a fixed decimal shown as a price, not a percentage
    partner_price = columns(tables["Partner Sales"])["Unit Price"].properties
    assert (partner_price["dataType"], partner_price["formatString"]) == ("decimal", "#,0.0000")


def test_the_date_table_is_marked_with_its_date_column_as_key(tables: dict[str, Node]) -> None:
    marked = [t for t in tables.values() if t.properties.get("dataCategory") == "Time"]
    assert [table.name for table in marked] == ["Date"]
    keys = [c for c in marked[0].objects("column") if "isKey" in c.flags]
    assert [(k.name, k.properties["dataType"], k.properties["sourceColumn"]) for k in keys] == [
        ("Date", "dateTime", "DATE")
    ]


def test_partitions_read_the_contract_columns_through_the_parameters(
    tables: dict[str, Node],
) -> None:
    for table in tables.values():
        [partition] = table.objects("partition")
        assert (partition.value, partition.properties["mode"]) == ("m", "import")
        source = partition.expressions["source"]
        assert source.startswith("let\n") and "\nin\n    Typed" in source
        assert (
            "Snowflake.Databases(SnowflakeServer, SnowflakeWarehouse, [Role = SnowflakeRole])"
            in source
        )
        assert "[Name = SnowflakeDatabase" in source and "[Name = SnowflakeSchema" in source
        selected = re.search(r"Table\.SelectColumns\(Data, \{(.*)\}\)", source).group(1)
        source_columns = [c.properties["sourceColumn"] for c in table.objects("column")]
        assert re.findall(r'"(\w+)"', selected) == source_columns
        typed = re.search(r"TransformColumnTypes\(Selected, \{(.*)\}\)", source).group(1)
        assert re.findall(r'\{"(\w+)", ', typed) == source_columns
    order_lines = tables["Order Lines"].objects("partition")[0].expressions["source"]
    assert 'Schema{[Name = "FACT_ORDER_LINES", Kind = "Table"]}[Data]' in order_lines
    assert '{"NET_AMOUNT", Currency.Type}' in order_lines


def test_relationships_follow_the_foreign_keys(definition: Path, tables: dict) -> None:
    relationships = parse((definition / "relationships.tmdl").read_text())
    pairs = set()
    for relationship in relationships:
        source = read_reference(relationship.properties["fromColumn"])
        target = read_reference(relationship.properties["toColumn"])
        source_column = columns(tables[source[0]])[source[1]]
        target_column = columns(tables[target[0]])[target[1]]
        assert source_column.properties["dataType"] == target_column.properties["dataType"]
        pairs.add((source, target))
    assert {
        (("Order Lines", "Date Key"), ("Date", "Date Key")),
        (("Order Lines", "Customer Key"), ("Customer", "Customer Key")),
        (("Order Lines", "Product Key"), ("Product", "Product Key")),
        (("KPI Daily", "Date Key"), ("Date", "Date Key")),
    } <= pairs
    assert len(pairs) == len(relationships) == sum(len(c.foreign_keys) for c in GOLD_TABLES)
    assert len({relationship.name for relationship in relationships}) == len(relationships)


DAX_COLUMN = re.compile(r"'((?:[^']|'')+)'\[([^\]]+)\]")
DAX_MEASURE = re.compile(r"(?<![\]'\w])\[([^\]]+)\]")


def test_measures_reference_only_columns_and_measures_that_exist(tables: dict) -> None:
    all_measures = measures(tables)
    assert set(all_measures) >= REQUIRED_MEASURES
    for name, measure in all_measures.items():
        expression = measure.value
        assert expression.count("(") == expression.count(")"), name
        for table, column in DAX_COLUMN.findall(expression):
            assert column in columns(tables[table.replace("''", "'")]), (name, table, column)
        for referenced in DAX_MEASURE.findall(DAX_COLUMN.sub("", expression)):
            assert referenced in all_measures, (name, referenced)
        assert measure.properties["formatString"] and measure.description
    assert all_measures["Revenue"].value == "SUM('Order Lines'[Net Amount Reporting])"
    assert all_measures["Average Order Value"].value == "DIVIDE([Revenue], [Orders], 0)"
    assert "DATEADD('Date'[Date], -1, MONTH)" in all_measures["Retention Rate"].value


def test_every_name_in_the_field_list_means_one_thing(tables: dict[str, Node]) -> None:
    measure_names = set(measures(tables))
    for table in tables.values():
        assert not measure_names & set(columns(table)), table.name
    assert "Revenue (KPI Daily)" in columns(tables["KPI Daily"])
    tags = [
        node.properties["lineageTag"]
        for table in tables.values()
        for node in [table, *table.children]
        if "lineageTag" in node.properties
    ]
    assert len(tags) == len(set(tags))


def test_connection_parameters_are_model_expressions(definition: Path) -> None:
    expressions = {e.name: e.value for e in parse((definition / "expressions.tmdl").read_text())}
    meta = ' meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]'
    assert expressions == {
        "SnowflakeServer": '"acme-xy12345.snowflakecomputing.com"' + meta,
        "SnowflakeWarehouse": '"BI_WH"' + meta,
        "SnowflakeRole": '"RETAIL_BI_READER"' + meta,
        "SnowflakeDatabase": '"RETAIL"' + meta,
        "SnowflakeSchema": '"GOLD"' + meta,
    }


def test_project_files_point_at_each_other(project: Path) -> None:
    pbip = json.loads((project / "Retail.pbip").read_text())
    report_dir = project / pbip["artifacts"][0]["report"]["path"]
    pbir = json.loads((report_dir / "definition.pbir").read_text())
    model_dir = (report_dir / pbir["datasetReference"]["byPath"]["path"]).resolve()
    assert model_dir == (project / "Retail.SemanticModel").resolve()
    assert json.loads((model_dir / "definition.pbism").read_text())["version"] == "4.0"
    report = json.loads((report_dir / "definition" / "report.json").read_text())
    assert {"$schema", "themeCollection", "layoutOptimization"} <= set(report)
    pages = json.loads((report_dir / "definition" / "pages" / "pages.json").read_text())
    for page in pages["pageOrder"]:
        page_json = json.loads(
            (report_dir / "definition" / "pages" / page / "page.json").read_text()
        )
        assert {"$schema", "name", "displayName", "displayOption"} <= set(page_json)


def test_regenerating_is_deterministic_and_drops_tables_that_left_gold(tmp_path: Path) -> None:
    model = build_semantic_model(GOLD_TABLES, CONNECTION)
    write_project(model, tmp_path)
    first = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    write_project(model, tmp_path)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == first

    smaller = [c for c in GOLD_TABLES if c.name != "kpi_daily"]
    write_project(build_semantic_model(smaller, CONNECTION), tmp_path)
    tables_dir = tmp_path / "Retail.SemanticModel" / "definition" / "tables"
    assert not (tables_dir / "KPI Daily.tmdl").exists()
    assert "KPI Daily" not in (tables_dir.parent / "relationships.tmdl").read_text()


def test_a_new_gold_table_joins_the_model_without_code_changes() -> None:
    stores = TableContract(
        "dim_store",
        "Stores.",
        (Column("store_key", pl.Int64, "Key.", nullable=False), Column("city", pl.String, "City.")),
        primary_key=("store_key",),
    )
    visits = TableContract(
        "fact_store_visits",
        "Visits.",
        (
            Column("visit_key", pl.Int64, "Key.", nullable=False),
            Column("store_key", pl.Int64, "-> dim_store.", nullable=False),
            Column("spend", pl.Decimal(18, 2), "Money spent."),
        ),
        primary_key=("visit_key",),
        foreign_keys={"store_key": "dim_store"},
    )
    model = build_semantic_model((*GOLD_TABLES, stores, visits), CONNECTION)
    assert model.problems == []
    assert model.table("fact_store_visits").name == "Store Visits"
    [visits_to_stores] = [r for r in model.relationships if r.from_table == "Store Visits"]
    assert (visits_to_stores.from_column, visits_to_stores.to_table) == ("Store Key", "Store")


def test_a_measure_whose_columns_left_gold_is_reported_not_generated() -> None:
    without_retention = [c for c in GOLD_TABLES if c.name != "fact_customer_retention"]
    model = build_semantic_model(without_retention, CONNECTION)
    assert model.problems == [
        "measure 'Cohort Retention Rate' left out: no fact_customer_retention in gold"
    ]


def test_connection_defaults_come_from_the_platform_variables() -> None:
    environ = {"SNOWFLAKE_ACCOUNT": "acme-xy12345", "SNOWFLAKE_WAREHOUSE": "LOAD_WH"}
    assert connection_from_environment(environ) == SnowflakeConnection(
        server="acme-xy12345.snowflakecomputing.com", warehouse="LOAD_WH"
    )
    environ["SNOWFLAKE_BI_WAREHOUSE"] = "BI_WH"
    assert connection_from_environment(environ).warehouse == "BI_WH"
    assert connection_from_environment({}) == SnowflakeConnection()


def test_the_powerbi_command_writes_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SNOWFLAKE_ACCOUNT", raising=False)
    out = tmp_path / "pbi"

    code = cli.main(
        ["powerbi", "--out", str(out), "--server", "acme.snowflakecomputing.com", "--role", "R"]
    )

    assert code == 0
    printed = capsys.readouterr().out
    assert f"open {out / 'Retail.pbip'} in Power BI Desktop" in printed
    assert "server acme.snowflakecomputing.com" in printed and "role R," in printed
    expressions = (out / "Retail.SemanticModel" / "definition" / "expressions.tmdl").read_text()
    assert 'expression SnowflakeServer = "acme.snowflakecomputing.com"' in expressions
    assert 'expression SnowflakeRole = "R"' in expressions
