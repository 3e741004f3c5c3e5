"""Estimated cost of an answer: USD per million tokens, per model, from configuration
(``FRONTDESK_LLM_PRICES``) over a few built-in list prices. Unknown models cost 0 (reported as
such); the offline assistant costs nothing."""

from __future__ import annotations

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-sonnet-4-5": (3.00, 15.00),
}


class PriceList:
    def __init__(self, prices: dict[str, tuple[float, float]] | None = None) -> None:
        self._prices = {**DEFAULT_PRICES, **(prices or {})}

    @classmethod
    def parse(cls, spec: str) -> PriceList:
        """``model=in/out,model=in/out`` in USD per million tokens."""
        prices: dict[str, tuple[float, float]] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            model, _, pair = item.partition("=")
            given, _, produced = pair.partition("/")
            try:
                prices[model.strip()] = (float(given), float(produced))
            except ValueError:
                raise ValueError(f"FRONTDESK_LLM_PRICES: {item!r} is not model=in/out") from None
        return cls(prices)

    def cost_micros(self, model: str, tokens_in: int, tokens_out: int) -> int:
        """Micro-dollars: a price per million tokens is a price in micro-dollars per token."""
        given, produced = self._prices.get(model, (0.0, 0.0))
        return round(tokens_in * given + tokens_out * produced)
