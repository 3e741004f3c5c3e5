"""A circuit per subscription, in the dispatcher's memory (ADR 0068).

A subscription whose endpoint failed ``fail_max`` times in a row (any events) is *open*: none
of its deliveries is attempted for ``reset_timeout`` seconds; then one is let through as a
trial (*half-open*): a success closes the circuit, a failure opens it again. Without it, an
endpoint that is down, with a thousand events waiting on their own schedules, would be called
a thousand times an hour, each call holding a sender for the whole timeout.

Per subscription, not per host: tenants share hosts (an integration platform's hooks), and one
tenant's broken endpoint must not hold back another's. Not in the vendors' registry: a tenant's
endpoint is not our dependency, and its outage does not make Frontdesk degraded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID


@dataclass(slots=True)
class _Circuit:
    failures: int = 0
    open_until: datetime | None = None


class EndpointCircuits:
    def __init__(self, *, fail_max: int = 5, reset_timeout: float = 60.0) -> None:
        if fail_max < 1 or reset_timeout <= 0:
            raise ValueError("fail_max >= 1 and reset_timeout > 0")
        self.fail_max, self.reset_timeout = fail_max, reset_timeout
        self._circuits: dict[UUID, _Circuit] = {}
        self._lock = threading.Lock()

    def closed_out(self, now: datetime) -> tuple[set[UUID], set[UUID]]:
        """(open, trial): subscriptions not to attempt now, and those allowed one attempt."""
        opened: set[UUID] = set()
        trial: set[UUID] = set()
        with self._lock:
            for subscription_id, circuit in self._circuits.items():
                if circuit.open_until is None:
                    continue
                (opened if now < circuit.open_until else trial).add(subscription_id)
        return opened, trial

    def succeeded(self, subscription_id: UUID) -> None:
        with self._lock:
            self._circuits.pop(subscription_id, None)

    def failed(self, subscription_id: UUID, now: datetime) -> bool:
        """Count a failure; True when it (re)opens the circuit."""
        with self._lock:
            circuit = self._circuits.setdefault(subscription_id, _Circuit())
            circuit.failures += 1
            if circuit.failures >= self.fail_max:
                circuit.open_until = now + timedelta(seconds=self.reset_timeout)
                return True
            return False

    def forget(self, subscription_id: UUID) -> None:
        with self._lock:
            self._circuits.pop(subscription_id, None)
