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
    """Timers run on a tick (they follow the clock); the dispatcher runs on the tick and after
    commits, a short moment later, so that a burst of commits is routed once."""

    def __init__(self, dispatcher: Dispatcher, timers: ContactCenterTimers,
                 gate: TrackingConsistencyGate, pool: DictPool, *, interval: float = 1.0,
                 coalesce: float = 0.05, catch_up_timeout: float = 2.0) -> None:
        self._dispatcher, self._timers, self._gate, self._pool = dispatcher, timers, gate, pool
        self._interval, self._coalesce = interval, coalesce
        self._catch_up_timeout = catch_up_timeout

    def caught_up(self) -> bool:
        """Wait (bounded) until the read model has read every event committed by now.

        The target is the newest committed event's transaction, not the snapshot horizon:
        writes that are not events (rate-limit counters, tracking rows) move the horizon on
        every request, and waiting for the read model to pass it kept this loop polling while
        the read model had nothing to read."""
        with self._pool.connection() as conn:
            newest = int(fetch_value(conn, "SELECT COALESCE(max(tx_id), '0')::text "
                                           "FROM events"))
        if newest == 0:
            return True
        deadline = time.monotonic() + self._catch_up_timeout
        while self._gate.horizons([READ_MODEL]).get(READ_MODEL, 0) <= newest:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def run_once(self, *, timers: bool = True) -> None:
        self.caught_up()
        if timers:
            report = self._timers.run_once()
            if report.changed:
                log.info("timers: %d timed out, %d breached, %d due", report.timed_out,
                         report.breached, report.enqueued)
                self.caught_up()
        self._dispatcher.run_once()

    def run(self, stop: threading.Event, wake: threading.Event,
            still_claimed: Callable[[], bool] = lambda: True) -> None:
        next_tick = 0.0
        while not stop.is_set() and still_claimed():
            tick = time.monotonic() >= next_tick
            if tick:
                next_tick = time.monotonic() + self._interval
            try:
                self.run_once(timers=tick)
            except Exception:
                log.exception("contact-center loop failed; retrying")
                stop.wait(1.0)
            if wake.wait(max(0.0, next_tick - time.monotonic())):
                stop.wait(self._coalesce)
            wake.clear()
