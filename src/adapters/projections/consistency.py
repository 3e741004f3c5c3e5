"""Read-your-writes: wait until projections have processed a write's position."""

from __future__ import annotations

import time
from collections.abc import Sequence

from adapters.postgres.database import DictPool


class TrackingConsistencyGate:
    def __init__(self, pool: DictPool) -> None:
        self._pool = pool

    def horizons(self, projections: Sequence[str]) -> dict[str, int]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT name, horizon::text AS horizon FROM projection_tracking "
                "WHERE name = ANY(%s)", (list(projections),)).fetchall()
        return {r["name"]: int(r["horizon"]) for r in rows}

    def wait_for(self, position: str, projections: Sequence[str], timeout: float) -> bool:
        target = int(position)
        if target == 0:
            return True
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            horizons = self.horizons(projections)
            if all(horizons.get(name, 0) > target for name in projections):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
