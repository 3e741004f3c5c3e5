"""The database's circuit breaker (ADR 0073): once a request finds PostgreSQL unreachable,
every request that needs it is answered 503 at once, instead of waiting on a connection pool,
until a trial in the background reaches the database again.

- It opens on the first failure that says the database cannot be reached (no connection,
  a connection lost, a pool that could not hand one out, the server shutting down or still
  starting), never on an error a working database gives (a query cancelled, a deadlock, a
  lock timeout).
- While it is open, no request waits: :meth:`DatabaseCircuit.admit` raises
  :class:`DatabaseUnavailable` with the seconds until the next trial.
- A thread tries every ``reset_timeout`` seconds (tenacity's loop; pybreaker decides when a
  trial is due and lets exactly that call through, half-open). The trial opens a fresh
  connection (bounded by ``connect_timeout``) and runs ``SELECT 1``, then drops the pools'
  connections that the outage broke. Only then does the circuit close.

The pools themselves retry connecting with a back-off that psycopg_pool doubles up to its
``reconnect_timeout`` (5 minutes by default): after a minute's outage their next attempt could
be a minute away. Ours give up after ``RECONNECT_TIMEOUT`` and connect again on demand, so a
closed circuit is not left waiting on a pool's back-off.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import pybreaker
import tenacity
from psycopg_pool import PoolTimeout

from adapters.resilience import VendorBreaker

log = logging.getLogger("frontdesk.database")

RESET_TIMEOUT = 0.5
"""Seconds between trials while the database is unreachable."""
CONNECT_TIMEOUT = 2
"""Seconds a trial (and a pool) waits for a new connection: libpq's minimum."""
RECONNECT_TIMEOUT = 2.0
"""Seconds a pool keeps retrying a failed connection before it gives up (and connects again
when next asked): psycopg_pool's default is 5 minutes of doubling back-off."""


class DatabaseUnavailable(Exception):
    """The circuit is open: the database was unreachable at the last attempt."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the database is unavailable")
        self.retry_after = retry_after


def unreachable(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached, rather than
    that a working database refused one statement."""
    while error is not None:
        if isinstance(error, PoolTimeout):
            return True
        if isinstance(error, psycopg.OperationalError):
            state = error.sqlstate
            # None: no connection, or it was lost without a word; 08: connection exceptions;
            # 57P01-57P03: shut down by an administrator, after a crash, still starting.
            return state is None or state.startswith(("08", "57P"))
        error = error.__cause__
    return False


def reach(url: str, *, connect_timeout: int = CONNECT_TIMEOUT) -> None:
    """A new connection to ``url`` answers ``SELECT 1``; raises psycopg's error otherwise."""
    with psycopg.connect(url, connect_timeout=connect_timeout, autocommit=True) as conn:
        conn.execute("SELECT 1")


class DatabaseCircuit:
    """One per API process. ``trial`` raises while the database is unreachable; ``recover``
    runs after a trial succeeded, before the circuit closes (dropping broken connections)."""

    def __init__(self, trial: Callable[[], None], recover: Sequence[Callable[[], Any]] = (),
                 *, reset_timeout: float = RESET_TIMEOUT) -> None:
        self.breaker = VendorBreaker("database", fail_max=1, reset_timeout=reset_timeout)
        self._trial, self._recover = trial, list(recover)
        self._reset_timeout = reset_timeout
        self._lock = threading.Lock()
        self._prober: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def closed(self) -> bool:
        return self.breaker.current_state == pybreaker.STATE_CLOSED

    def retry_after(self) -> int:
        """Whole seconds a client should wait: until the next trial, at least 1."""
        return max(1, math.ceil(self.breaker.seconds_until_trial()))

    def admit(self) -> None:
        """Return at once if the database was reachable at the last attempt; otherwise raise
        :class:`DatabaseUnavailable`, without touching the database."""
        if not self.closed:
            raise DatabaseUnavailable(self.retry_after())

    def trip(self, error: BaseException) -> bool:
        """A request met ``error``: if it says the database is unreachable, open the circuit
        and start the trials. Returns whether it did."""
        if not unreachable(error):
            return False
        with self._lock:
            if self._stopping.is_set():
                return True
            if self.closed:
                log.warning("database unreachable (%s): answering 503 until a trial "
                            "reaches it", error.__class__.__name__)
                self.breaker.open()
            if self._prober is None:
                self._prober = threading.Thread(target=self._probe_until_closed,
                                                name="database-trials", daemon=True)
                self._prober.start()
        return True

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            prober = self._prober
        if prober is not None:
            prober.join(timeout=5)

    def _pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _attempt(self) -> None:
        self._trial()
        for recover in self._recover:
            recover()

    def _probe_until_closed(self) -> None:
        trials = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(pybreaker.CircuitBreakerError),
            wait=tenacity.wait_fixed(self._reset_timeout),
            stop=tenacity.stop_when_event_set(self._stopping),
            sleep=self._pause, reraise=True)
        while True:
            try:
                # Open: pybreaker refuses until reset_timeout has passed since it opened, then
                # lets this one call through; a failed trial opens it again (a
                # CircuitBreakerError too), a successful one closes it.
                trials(self.breaker.call, self._attempt)
            except pybreaker.CircuitBreakerError:
                pass  # stopping
            except Exception:
                log.exception("database trial failed unexpectedly")
            with self._lock:
                if self.closed or self._stopping.is_set():
                    self._prober = None
                    if self.closed:
                        log.warning("database reachable again: circuit closed")
                    return
