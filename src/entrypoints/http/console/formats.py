"""How the owner's pages write money: ``EUR 1,234.50``, the currency's own decimals."""

from __future__ import annotations

from domain.shared.money import Money


def money(amount: int, currency: str | None) -> str:
    """An amount in minor units as the domain formats it; without a currency, the number."""
    return Money(amount, currency).format() if currency else f"{amount:,}"
