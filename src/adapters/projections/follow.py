"""The loop every reader of the log runs (projections, policies, consumers): step until caught
up, wait for a wake-up, and on a failure retry the same position with back-off, saying so in
the reader's tracking row (ADR 0060) so that status, readiness and metrics show it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import psycopg
from psycopg_pool import PoolTimeout

from adapters.postgres.database import DictPool
from adapters.projections.reader import Position
from adapters.projections.tracking import record_failure


class PositionMoved(Exception):
    """The tracking row changed under us (a rebuild was swapped in): reload and continue."""


class BackendTerminated(Exception):
    """The server ended the connection while a batch ran, more than once at the same position:
    a statement of the batch may be what kills its backend, and every crash restarts the whole
    database for every tenant."""


LOST_BEFORE_FAILING = 3
"""Connections lost at one position before the batch is reported failing."""
LOST_BACKOFF, LOST_MAX_BACKOFF = 2.0, 300.0
"""Seconds before retrying a batch whose connection was lost, doubled at each loss at the same
position: a few crashes a minute at first, one every five minutes at most (ADR 0064)."""


def lost_mid_batch(error: psycopg.OperationalError) -> bool:
    """Our backend went away without a word (killed or crashed): no SQLSTATE. A shutdown, a
    crash of another backend or a server still recovering says why (57P01-57P03), and a
    connection that could not be had is a pool timeout: those are the database unavailable."""
    return error.sqlstate is None and not isinstance(error, PoolTimeout)


class Follower(Protocol):
    tracking_name: str
    position: Position | None
    batch_size: int

    def step(self) -> int:
        """Handle one batch from ``position``; the number of events it handled (0: caught
        up). ``position`` None makes it reload the position from its tracking row."""
        ...


def catch_up(follower: Follower, pool: DictPool, *, timeout: float = 30.0) -> int:
    """Step until every event committed before the call is behind the follower; returns how
    many events it handled. A reader sees only below the oldest transaction still running in
    the whole cluster (``reader``), so one running in another database keeps newer events out
    of reach for a moment: waited for, 10 ms at a time, up to ``timeout``."""
    with pool.connection() as conn:
        row = conn.execute("SELECT coalesce(max(tx_id)::text, '0') AS newest FROM events"
                           ).fetchone()
    newest = int(row["newest"]) if row else 0
    total, deadline = 0, time.monotonic() + timeout
    while True:
        seen = follower.step()
        total += seen
        if seen:
            continue
        at = follower.position
        if (at is not None and at.tx >= newest) or time.monotonic() > deadline:
            return total
        time.sleep(0.01)


def note_failure(pool: DictPool, follower: Follower, error: Exception,
                 log: logging.Logger, at: Position | None = None) -> None:
    """Say in the tracking row that ``follower`` is stuck after ``at`` (default: its position),
    and since when; its next committed batch clears it."""
    try:
        with pool.connection() as conn:
            record_failure(conn, follower.tracking_name, error, at or follower.position)
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
    - A connection lost during a batch, again and again at the same position, is a batch that
      may crash its backend: retried with a steeper back-off and, from the third loss,
      recorded as ``BackendTerminated`` (ADR 0064).
    - Any other error is recorded as a failure and the same position is retried with
      back-off; nothing is ever skipped. ``expected`` errors (a vendor outage) are logged
      as one line, not with a traceback.
    - After a small batch it lingers ``linger`` seconds, so that under load one batch carries
      many commits (each batch costs a few round trips)."""
    backoff = 0.5
    lost_at: Position | None = None  # where the last connection was lost mid-batch
    losses = 0  # how many times in a row, there
    while not stop.is_set() and still_claimed():
        try:
            handled = follower.step()
            backoff, losses = 0.5, 0
        except PositionMoved:
            follower.position = None
            continue
        except psycopg.OperationalError as error:
            wait = backoff
            if lost_mid_batch(error) and follower.position is not None:
                losses = losses + 1 if follower.position == lost_at else 1
                lost_at = follower.position
                wait = min(LOST_BACKOFF * 2 ** (losses - 1), LOST_MAX_BACKOFF)
                log.warning("%s: connection lost during a batch (%d in a row at %s); retrying "
                            "in %.0fs", follower.tracking_name, losses, lost_at.text(), wait)
            else:
                log.warning("%s: database unavailable (%s)", follower.tracking_name,
                            error.__class__.__name__)
                backoff = min(backoff * 2, 10.0)
            follower.position = None
            stop.wait(wait)
            if losses >= LOST_BEFORE_FAILING and not stop.is_set():
                # Recorded after the wait: the server was still restarting at the loss.
                note_failure(pool, follower, BackendTerminated(), log, at=lost_at)
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
