"""A circuit breaker for vendor calls: after ``threshold`` consecutive failures it opens and
fails fast for ``cooldown`` seconds, then lets one trial call through (half-open)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class CircuitOpen(Exception):
    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(f"the {name} circuit is open")
        self.retry_after = retry_after


class CircuitBreaker:
    def __init__(self, name: str, *, threshold: int = 5, cooldown: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self._threshold, self._cooldown, self._clock = name, threshold, cooldown, clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half_open" if self._clock() - self._opened_at >= self._cooldown else "open"

    def call(self, action: Callable[[], T], *, counts: Callable[[Exception], bool]) -> T:
        """Run ``action``; an exception for which ``counts`` is true is a failure."""
        with self._lock:
            if self._opened_at is not None:
                waited = self._clock() - self._opened_at
                if waited < self._cooldown or self._trial:
                    raise CircuitOpen(self.name, max(self._cooldown - waited, 1.0))
                self._trial = True
        try:
            result = action()
        except Exception as error:
            with self._lock:
                self._trial = False
                if counts(error):
                    self._failures += 1
                    if self._failures >= self._threshold or self._opened_at is not None:
                        self._opened_at = self._clock()
                elif self._opened_at is not None:  # the provider answered: it is up
                    self._failures, self._opened_at = 0, None
            raise
        with self._lock:
            self._failures, self._opened_at, self._trial = 0, None, False
        return result
