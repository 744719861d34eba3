"""The test-side TMDL reader accepts the language reference's own example and rejects files
that break the grammar, so the project tests that rely on it can fail."""

from __future__ import annotations

import pytest

from retail_platform_tests.powerbi.tmdl_reader import (
    TmdlSyntaxError,
    parse,
    read_name,
    read_reference,
)

# Adapted from the TMDL language reference (tabs for its four-space indentation).
REFERENCE_EXAMPLE = """\
table Sales

\tpartition 'Sales-Partition' = m
\t\tmode: import
\t\tsource =
\t\t\tlet
\t\t\t    Source = Sql.Database(Server, Database)
\t\t\tin
\t\t\t    Source

\t/// Sum of sales
\tmeasure 'Sales Amount' = SUMX('Sales', 'Sales'[Quantity] * 'Sales'[Net Price])
\t\tformatString: $ #,##0

\tmeasure 'Sales (ly)' =
\t\t\tvar ly = 1
\t\t\treturn ly
\t\tformatString: $ #,##0

\tcolumn 'Product Key'
\t\tdataType: int64
\t\tisHidden
\t\tsourceColumn: ProductKey
\t\tsummarizeBy: None

relationship cdb6e6a9-c9d1-42b9-b9e0-484a1bc7e123
\tfromColumn: Sales.'Product Key'
\ttoColumn: Product.'Product Key'

expression Server = "localhost" meta [IsParameterQuery=true, Type="Text"]
"""


def test_the_reference_example_reads_as_its_objects() -> None:
    sales, relationship, server = parse(REFERENCE_EXAMPLE)

    assert (sales.kind, sales.name) == ("table", "Sales")
    partition, amount, last_year, key = sales.children
    assert (partition.kind, partition.name, partition.value) == (
        "partition",
        "Sales-Partition",
        "m",
    )
    assert partition.properties == {"mode": "import"}
    assert partition.expressions["source"] == (
        "let\n    Source = Sql.Database(Server, Database)\nin\n    Source"
    )
    assert amount.description == "Sum of sales"
    assert amount.value == "SUMX('Sales', 'Sales'[Quantity] * 'Sales'[Net Price])"
    assert last_year.value == "var ly = 1\nreturn ly"
    assert last_year.properties == {"formatString": "$ #,##0"}
    assert key.flags == {"isHidden"} and key.properties["dataType"] == "int64"
    assert read_reference(relationship.properties["toColumn"]) == ("Product", "Product Key")
    assert server.value.startswith('"localhost" meta [')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("table T\n\t\tcolumn C\n", "skips a level"),
        ("table T\n    column C\n", "indentation must be tabs"),
        ("table T\n\tlineageTag: a\n\tlineageTag: b\n", "set twice"),
        ("lineageTag: a\n", "outside any object"),
        ("table T\n\tmeasure M =\n\t\tformatString: 0\n", "expected an indented expression"),
        ("/// about T\n\ntable T\n", "must touch its object"),
        ("table 'Order Lines\n", "unterminated quoted name"),
        ("table T\n\tcolumn C extra\n", "unexpected"),
        ("table T\n\t!bang\n", "cannot read"),
    ],
)
def test_files_breaking_the_grammar_are_rejected(text: str, message: str) -> None:
    with pytest.raises(TmdlSyntaxError, match=message):
        parse(text)


def test_quoted_names_unescape_doubled_quotes() -> None:
    assert read_name("'Customer''s Key' rest") == ("Customer's Key", " rest")
    assert read_reference("'Order Lines'.'Date Key'") == ("Order Lines", "Date Key")
    with pytest.raises(TmdlSyntaxError):
        read_reference("'Order Lines' 'Date Key'")
