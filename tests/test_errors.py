"""Parameter checks name the parameter and what is accepted, in Japanese and English."""

import pytest

from ebpmkit.errors import ParameterError, check_choice, check_range


def test_check_choice_lists_options():
    assert check_choice("variant", "raw", ["raw", "anonymized"]) == "raw"
    with pytest.raises(ParameterError) as err:
        check_choice("variant", "secret", ["raw", "anonymized"])
    text = str(err.value)
    assert (
        "variant" in text and "'raw'" in text and "'secret'" in text and "指定してください" in text
    )


def test_check_range_bounds_and_types():
    assert check_range("scale", 1.0, low=0, low_inclusive=False) == 1.0
    for bad in (0, -1, float("nan")):
        with pytest.raises(ParameterError, match="scale"):
            check_range("scale", bad, low=0, low_inclusive=False)
    with pytest.raises(ParameterError, match="number"):
        check_range("scale", "big", low=0)
    with pytest.raises(ParameterError):
        check_range("flag", True)


def test_parameter_error_is_value_and_type_error():
    assert issubclass(ParameterError, ValueError) and issubclass(ParameterError, TypeError)
