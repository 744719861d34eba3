import pytest

from retail_platform.sql_text import (
    InvalidIdentifierError,
    plain_identifier,
    quote_identifier,
    sql_literal,
    string_literal,
    validate_identifier,
)


def test_a_plain_identifier_is_kept_as_written() -> None:
    assert plain_identifier("order_id") == "order_id"
    assert plain_identifier("_Partition_date2") == "_Partition_date2"


@pytest.mark.parametrize("name", ["", "order id", "1st", "id;DROP", 'a"b', "é", "x" * 256])
def test_anything_else_is_refused_with_the_name(name: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="is not a plain identifier"):
        plain_identifier(name)


def test_snowflake_identifiers_are_upper_cased_and_quoted_per_part() -> None:
    assert validate_identifier("dim_date") == "DIM_DATE"
    assert quote_identifier("retail", "gold", "kpi_daily") == '"RETAIL"."GOLD"."KPI_DAILY"'


def test_a_literal_doubles_quotes_so_a_value_cannot_end_it() -> None:
    assert sql_literal("O'Brien") == "'O''Brien'"
    assert sql_literal("') OR 1=1 --") == "''') OR 1=1 --'"
    assert sql_literal("") == "''"


def test_snowflake_comment_text_escapes_backslashes_and_softens_apostrophes() -> None:
    assert string_literal("it's C:\\data") == "'it\u2019s C:\\\\data'"


def test_typed_literals_render_by_type_and_refuse_the_rest() -> None:
    from datetime import UTC, date, datetime

    from retail_platform.sql_text import typed_literal

    assert typed_literal(20261001) == "20261001"
    assert typed_literal("it's") == "'it''s'"
    assert typed_literal(date(2026, 10, 1)) == "'2026-10-01'"
    for value in (True, 1.5, datetime(2026, 10, 1, tzinfo=UTC), None):
        with pytest.raises(TypeError):
            typed_literal(value)
