"""When a failed delivery is tried again, and when it is given up (ADR 0068).

Exponential backoff with jitter, capped: ``base · 2^(n-1)`` seconds after the n-th failure, at
most ``cap``, each delay drawn between half and all of it (so deliveries that failed together
do not come back together). A delivery whose first attempt is older than ``give_up_after``
when it fails again is given up, and its subscription disabled. With the defaults (5 s, 1 h,
3 days) that is about 80 attempts: 10 in the first hour, then about one an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    base: float = 5.0
    cap: float = 3600.0
    give_up_after: float = 3 * 86_400.0

    def __post_init__(self) -> None:
        if not 0 < self.base <= self.cap:
            raise ValueError("a retry schedule needs 0 < base <= cap")
        if self.give_up_after <= 0:
            raise ValueError("give_up_after must be positive")

    def delay(self, failures: int, draw: float) -> float:
        """Seconds to wait after the ``failures``-th failure (1 for the first); ``draw`` is a
        random number in [0, 1) that places the delay between half and all of its ceiling."""
        if failures < 1:
            raise ValueError("failures counts from 1")
        ceiling = min(self.cap, self.base * 2.0 ** min(failures - 1, 60))
        return ceiling * (0.5 + 0.5 * min(max(draw, 0.0), 1.0))

    def next_attempt(self, *, failures: int, first_attempt: datetime, now: datetime,
                     draw: float) -> datetime | None:
        """When to try again, or None: the delivery has failed for ``give_up_after`` and is
        given up."""
        if (now - first_attempt).total_seconds() >= self.give_up_after:
            return None
        return now + timedelta(seconds=self.delay(failures, draw))
