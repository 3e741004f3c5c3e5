"""A chart as the page carries it: labels and series, already in the units shown. Templates put
``Chart.spec()`` in a ``<script type="application/json">`` block beside a ``<canvas>``, and
``charts.js`` draws it with Chart.js (ADR 0088). No figure is computed here or in the script:
they are the query services' figures, only converted to the units a person reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from domain.shared.money import Money, minor_unit_exponent


def major(amount: int, currency: str) -> float:
    """Minor units (cents) as the currency's major units (euros), for an axis."""
    return amount / float(10 ** minor_unit_exponent(currency))


def money(amount: int, currency: str) -> str:
    """``1,234.50`` for EUR 1,234.50: a table cell under a heading naming the currency."""
    return Money(amount, currency).format().removeprefix(f"{currency} ")


def percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class Series:
    label: str
    data: Sequence[float | int | None]
    kind: Literal["bar", "line"] | None = None
    """Another kind than the chart's (a line over bars)."""
    axis: Literal["y", "y2"] = "y"
    """``y2``: the right-hand axis (another unit)."""


@dataclass(frozen=True)
class Chart:
    id: str
    """The element ids: ``<canvas data-chart="{id}">`` and ``<script id="{id}-data">``."""
    title: str
    kind: Literal["bar", "line"]
    labels: Sequence[str]
    series: Sequence[Series]
    unit: str
    unit2: str | None = None
    stacked: bool = False
    horizontal: bool = False

    @property
    def empty(self) -> bool:
        return not self.labels or not any(v is not None for s in self.series for v in s.data)

    def spec(self) -> dict[str, Any]:
        return {"kind": self.kind, "labels": list(self.labels), "unit": self.unit,
                "unit2": self.unit2, "stacked": self.stacked, "horizontal": self.horizontal,
                "series": [{"label": s.label, "data": list(s.data), "kind": s.kind,
                            "axis": s.axis} for s in self.series]}
