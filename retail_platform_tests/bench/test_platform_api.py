import pytest

from retail_platform.bench.platform_api import PlatformInterfaceError, platform_function


def test_a_moved_function_fails_with_its_name_and_where_to_update() -> None:
    with pytest.raises(PlatformInterfaceError) as error:
        platform_function("retail_platform.transforms.keys", "no_such_function", ())

    assert "retail_platform.transforms.keys.no_such_function" in str(error.value)
    assert "retail_platform/bench/platform_api.py" in str(error.value)


def test_a_changed_signature_fails_with_both_parameter_lists() -> None:
    with pytest.raises(PlatformInterfaceError) as error:
        platform_function("retail_platform.transforms.keys", "date_key", ("day", "unit"))

    assert "takes (column)" in str(error.value)
    assert "passes (day, unit)" in str(error.value)


def test_a_matching_signature_returns_the_function() -> None:
    from retail_platform.transforms.keys import date_key

    assert platform_function("retail_platform.transforms.keys", "date_key", ("column",)) is date_key
