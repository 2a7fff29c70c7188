import pytest

from iku.domain.numbers import NotANumber, parse_number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("9,85", 9.85),
        ("1.234,5", 1234.5),
        ("1.250", 1250.0),
        ("9.85", 9.85),
        ("10%", 10.0),
        ("9,85 %", 9.85),
        ("1.234.567", 1234567.0),
        (" 12 ", 12.0),
        ("0", 0.0),
        ("-3", -3.0),
        (7, 7.0),
        (2.5, 2.5),
        ("", None),
        (None, None),
        ("-", None),
        ("1.234.567,89", 1234567.89),
    ],
)
def test_indonesian_numbers(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["abc", "1,2,3", "12a", "1.23.4", "1.2345,6", True])
def test_not_numbers(text):
    with pytest.raises(NotANumber):
        parse_number(text)
