"""The loop every reader of the log runs (projections, policies, consumers): step until caught
up, wait for a wake-up, and on a failure retry the same position with back-off, saying so in
the reader's tracking row (ADR 0060) so that status, readiness and metrics show it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

import psycopg

from adapters.postgres.database import DictPool
from adapters.projections.reader import Position
from adapters.projections.tracking import record_failure


class PositionMoved(Exception):
    """The tracking row changed under us (a rebuild was swapped in): reload and continue."""


class Follower(Protocol):
    tracking_name: str
    position: Position | None
    batch_size: int

    def step(self) -> int:
        """Handle one batch from ``position``; the number of events it handled (0: caught
        up). ``position`` None makes it reload the position from its tracking row."""
        ...


def note_failure(pool: DictPool, follower: Follower, error: Exception,
                 log: logging.Logger) -> None:
    """Say in the tracking row that ``follower`` is stuck after its position, and since when;
    its next committed batch clears it."""
    try:
        with pool.connection() as conn:
            record_failure(conn, follower.tracking_name, error, follower.position)
    except psycopg.Error as unrecorded:
        log.warning("%s: failure not recorded (%s)", follower.tracking_name,
                    unrecorded.__class__.__name__)


def follow(follower: Follower, pool: DictPool, stop: threading.Event, wake: threading.Event,
           log: logging.Logger, *, idle: float = 1.0, linger: float = 0.0,
           max_backoff: float = 30.0, expected: tuple[type[Exception], ...] = (),
           still_claimed: Callable[[], bool] = lambda: True) -> None:
    """Follow the log until ``stop`` (or until the claim is lost); ``wake`` is set after
    commits, here or in other processes.

    - A moved position (a rebuild swapped in) is reloaded at once.
    - The database being unreachable is waited out (back-off up to 10 s) and not recorded:
      the readiness probe reports the database itself.
    - Any other error is recorded as a failure and the same position is retried with
      back-off; nothing is ever skipped. ``expected`` errors (a vendor outage) are logged
      as one line, not with a traceback.
    - After a small batch it lingers ``linger`` seconds, so that under load one batch carries
      many commits (each batch costs a few round trips)."""
    backoff = 0.5
    while not stop.is_set() and still_claimed():
        try:
            handled = follower.step()
            backoff = 0.5
        except PositionMoved:
            follower.position = None
            continue
        except psycopg.OperationalError as error:
            log.warning("%s: database unavailable (%s)", follower.tracking_name,
                        error.__class__.__name__)
            follower.position = None
            stop.wait(backoff)
            backoff = min(backoff * 2, 10.0)
            continue
        except Exception as error:
            if isinstance(error, expected):
                log.warning("%s: %s; retrying in %.1fs", follower.tracking_name, error,
                            backoff)
            else:
                log.exception("%s failed; retrying", follower.tracking_name)
            note_failure(pool, follower, error, log)
            follower.position = None
            stop.wait(backoff)
            backoff = min(backoff * 2, max_backoff)
            continue
        if handled == 0:
            wake.wait(idle)
            wake.clear()
        if handled < follower.batch_size and linger > 0:
            stop.wait(linger)
