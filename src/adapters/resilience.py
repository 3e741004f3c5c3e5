"""Circuit breakers for every vendor, from one library (pybreaker; ADR 0050), and the registry
that lists them by vendor (``llm:openai``, ``llm:local``, ``twilio``, ``smtp``, ``stripe``) for
readiness, beside the gauge ``frontdesk_vendor_circuit_state`` that each breaker feeds.

One registry per composition root: adapters take their breaker from it as they are built, and
the composition root records the vendors it left unconfigured (a log-only transport, manual
payments), so ``/health/ready`` can say what is configured and which circuits are open.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pybreaker

from adapters.metrics import CircuitGauge

T = TypeVar("T")
Exclusion = type[BaseException] | Callable[[Any], bool]
"""An exception type or a predicate: a raised error it matches is an answer, not a failure."""


class VendorBreaker(pybreaker.CircuitBreaker):
    """A pybreaker breaker named for its vendor, mirrored into the circuit gauge."""

    def __init__(self, vendor: str, *, fail_max: int, reset_timeout: float,
                 exclude: Iterable[Exclusion] = ()) -> None:
        self._storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        super().__init__(fail_max=fail_max, reset_timeout=reset_timeout, exclude=list(exclude),
                         listeners=[CircuitGauge(vendor)], state_storage=self._storage,
                         name=vendor)
        self.vendor = vendor

    def guard(self, action: Callable[[], T]) -> T:
        """Run ``action`` through the breaker. Not ``call``: pybreaker holds the breaker's lock
        for the whole guarded call there (danielfm/pybreaker#55), which would let one request
        at a time reach the vendor; ``calling`` takes it only to change state."""
        with self.calling():
            return action()

    def seconds_until_trial(self) -> float:
        """While open: how long until a call is let through as a trial; otherwise 0."""
        opened = self._storage.opened_at
        if self.current_state != pybreaker.STATE_OPEN or opened is None:
            return 0.0
        return max(0.0, self.reset_timeout - (datetime.now(UTC) - opened).total_seconds())


class VendorCircuits:
    """The vendors of one process and their breakers, by vendor name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vendors: dict[str, VendorBreaker | None] = {}

    def breaker(self, vendor: str, *, fail_max: int, reset_timeout: float,
                exclude: Iterable[Exclusion] = ()) -> VendorBreaker:
        breaker = VendorBreaker(vendor, fail_max=fail_max, reset_timeout=reset_timeout,
                                exclude=exclude)
        with self._lock:
            self._vendors[vendor] = breaker
        return breaker

    def not_configured(self, vendor: str) -> None:
        """``vendor`` is not called at all (a log-only or manual stand-in takes its place)."""
        with self._lock:
            self._vendors.setdefault(vendor, None)

    def report(self) -> dict[str, dict[str, Any]]:
        """``{vendor: {"configured": bool, "circuit": "closed" | "open" | "half-open"}}``; a
        vendor that is not configured is never called, so its circuit is closed."""
        with self._lock:
            vendors = sorted(self._vendors.items())
        return {name: {"configured": breaker is not None,
                       "circuit": breaker.current_state if breaker else pybreaker.STATE_CLOSED}
                for name, breaker in vendors}
