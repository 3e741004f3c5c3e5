"""Money: an integer amount of minor units and an ISO 4217 currency (SPEC §3).

Amounts are never floats and never added across currencies: a sum of two currencies is a
CurrencyMismatch, not a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.shared.errors import InvalidValue, RuleViolated

# Active ISO 4217 codes (funds and precious metals left out).
_ACTIVE = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
"""
_CODES = frozenset(_ACTIVE.split())
_ZERO_DECIMALS = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split())  # noqa: SIM905
_THREE_DECIMALS = frozenset("BHD IQD JOD KWD LYD OMR TND".split())  # noqa: SIM905
MAX_AMOUNT = 10**15  # minor units; far beyond any case, small enough for every database type


class CurrencyMismatch(RuleViolated):
    """Two amounts in different currencies were combined (one currency per case)."""

    code = "currency-mismatch"


def currency_code(value: str, field: str = "currency") -> str:
    """An upper-case ISO 4217 code, or InvalidValue."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in _CODES:
        raise InvalidValue(field, "must be an ISO 4217 currency code, e.g. EUR")
    return code


def minor_unit_exponent(currency: str) -> int:
    """How many decimals the currency's minor unit has (JPY 0, EUR 2, KWD 3)."""
    if currency in _ZERO_DECIMALS:
        return 0
    return 3 if currency in _THREE_DECIMALS else 2


@dataclass(frozen=True, slots=True)
class Money:
    """``amount`` minor units (cents for EUR) of ``currency``."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidValue("amount", "must be an integer number of minor units")
        if abs(self.amount) > MAX_AMOUNT:
            raise InvalidValue("amount", f"must be at most {MAX_AMOUNT} minor units")
        object.__setattr__(self, "currency", currency_code(self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}",
                                   expected=self.currency, got=other.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def format(self) -> str:
        """``EUR 1,234.50``: the amount in major units with the currency's decimals."""
        exponent = minor_unit_exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, fraction = divmod(abs(self.amount), 10**exponent)
        text = f"{whole:,}" + (f".{fraction:0{exponent}d}" if exponent else "")
        return f"{self.currency} {sign}{text}"

    def __str__(self) -> str:
        return self.format()
