"""The contact center's background loop: after every commit (here or, by NOTIFY, in another
process) and on a tick, wait until the supervisor_overview read model has caught up, then run
the clock-driven timers (reservation time-outs, SLA breaches and escalations, scheduled tasks
falling due) and the dispatcher. The runtime claims it with an advisory lock, so one process
in the cluster runs it and a standby takes over."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from adapters.postgres.database import DictPool, fetch_value
from adapters.projections.consistency import TrackingConsistencyGate
from application.contact_center import ContactCenterTimers, Dispatcher

log = logging.getLogger("frontdesk.contact_center")
READ_MODEL = "supervisor_overview"


class ContactCenterLoop:
    def __init__(self, dispatcher: Dispatcher, timers: ContactCenterTimers,
                 gate: TrackingConsistencyGate, pool: DictPool, *, interval: float = 1.0,
                 catch_up_timeout: float = 2.0) -> None:
        self._dispatcher, self._timers, self._gate, self._pool = dispatcher, timers, gate, pool
        self._interval, self._catch_up_timeout = interval, catch_up_timeout

    def caught_up(self) -> bool:
        """Wait (bounded) until the read model has read every transaction finished by now."""
        with self._pool.connection() as conn:
            horizon = int(fetch_value(conn, "SELECT pg_snapshot_xmin(pg_current_snapshot())"
                                            "::text"))
        deadline = time.monotonic() + self._catch_up_timeout
        while self._gate.horizons([READ_MODEL]).get(READ_MODEL, 0) < horizon:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True

    def run_once(self) -> None:
        self.caught_up()
        report = self._timers.run_once()
        if report.changed:
            log.info("timers: %d timed out, %d breached, %d due", report.timed_out,
                     report.breached, report.enqueued)
            self.caught_up()
        self._dispatcher.run_once()

    def run(self, stop: threading.Event, wake: threading.Event,
            still_claimed: Callable[[], bool] = lambda: True) -> None:
        while not stop.is_set() and still_claimed():
            try:
                self.run_once()
            except Exception:
                log.exception("contact-center loop failed; retrying")
                stop.wait(1.0)
            wake.wait(self._interval)
            wake.clear()
