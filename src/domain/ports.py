"""Ports the domain and application need from the outside world (small Protocols)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.shared.values import PhoneNumber


class Clock(Protocol):
    """The time. Real in production, controllable in tests (SLA clocks, as-of reports)."""

    def now(self) -> datetime: ...


class PhoneNormaliser(Protocol):
    """Turns what a person typed ("+34 612 345 678", "612345678") into E.164."""

    def normalise(self, raw: str, default_region: str | None = None) -> PhoneNumber: ...


class Embedder(Protocol):
    """Turns texts into vectors. ``model`` names model and version (``name@version``): rows of
    another model are not comparable and are re-embedded."""

    @property
    def model(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, texts: list[str]) -> list[list[float]]: ...
