"""Money: integer minor units and an ISO 4217 currency, never combined across currencies."""

import pytest

from domain.shared import InvalidValue
from domain.shared.money import CurrencyMismatch, Money, minor_unit_exponent


def test_money_is_integer_minor_units_of_a_known_currency() -> None:
    assert Money(1050, "eur") == Money(1050, "EUR")
    for bad in (10.5, True, "10"):
        with pytest.raises(InvalidValue):
            Money(bad, "EUR")  # type: ignore[arg-type]
    for code in ("EURO", "XXQ", "", "eu"):
        with pytest.raises(InvalidValue):
            Money(1, code)


def test_sums_never_cross_currencies() -> None:
    assert Money(100, "EUR") + Money(250, "EUR") == Money(350, "EUR")
    assert Money(100, "EUR") - Money(250, "EUR") == Money(-150, "EUR")
    with pytest.raises(CurrencyMismatch):
        Money(100, "EUR") + Money(100, "USD")


def test_formatting_uses_the_currency_exponent() -> None:
    assert Money(123456, "EUR").format() == "EUR 1,234.56"
    assert Money(5, "EUR").format() == "EUR 0.05"
    assert Money(1500, "JPY").format() == "JPY 1,500"
    assert Money(1500, "KWD").format() == "KWD 1.500"
    assert Money(-250, "USD").format() == "USD -2.50"
    assert (minor_unit_exponent("JPY"), minor_unit_exponent("EUR"),
            minor_unit_exponent("BHD")) == (0, 2, 3)
