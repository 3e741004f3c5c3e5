"""Projection positions, committed in the same transaction as the view change (exactly once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from adapters.projections.reader import Position


@dataclass(frozen=True, slots=True)
class TrackingRow:
    name: str
    version: int
    position: Position
    horizon: int
    events_processed: int


def load_tracking(conn: psycopg.Connection[Any], name: str, *,
                  for_update: bool = False) -> TrackingRow | None:
    row = conn.execute(
        "SELECT name, version, last_tx::text AS last_tx, last_id, horizon::text AS horizon, "
        "events_processed FROM projection_tracking WHERE name = %s"
        + (" FOR UPDATE" if for_update else ""), (name,)).fetchone()
    if row is None:
        return None
    return TrackingRow(row["name"], row["version"], Position(int(row["last_tx"]), row["last_id"]),
                       int(row["horizon"]), row["events_processed"])


def advance_tracking(conn: psycopg.Connection[Any], name: str, expected: Position,
                     new: Position, horizon: int, processed: int) -> bool:
    """Move the position forward iff it is still ``expected`` (another writer, e.g. a rebuild
    swap, may have moved it): the check-and-set that makes every batch apply exactly once.
    A committed batch ends any failure ``record_failure`` noted."""
    cursor = conn.execute(
        "UPDATE projection_tracking SET last_tx = %s::xid8, last_id = %s, "
        "horizon = GREATEST(horizon, %s::xid8), events_processed = events_processed + %s, "
        "updated_at = now(), failing_since = NULL, failures = 0, last_error = NULL "
        "WHERE name = %s AND last_tx = %s::xid8 AND last_id = %s",
        (str(new.tx), new.id, str(horizon), processed, name, str(expected.tx), expected.id))
    return cursor.rowcount == 1


def record_failure(conn: psycopg.Connection[Any], name: str, error: BaseException,
                   at: Position | None) -> None:
    """A batch starting after ``at`` raised ``error``: count it, and keep when the failures
    began. Only the error's class is stored, never its message (it may quote personal data;
    the worker's log has the traceback)."""
    where = f" after {at.text()}" if at is not None else ""
    conn.execute(
        "UPDATE projection_tracking SET failing_since = COALESCE(failing_since, now()), "
        "failures = failures + 1, last_error = %s WHERE name = %s",
        (f"{type(error).__name__}{where}", name))


def ensure_tracking(conn: psycopg.Connection[Any], name: str, version: int) -> None:
    """Create the tracking row at position zero unless it exists."""
    conn.execute("INSERT INTO projection_tracking (name, version) VALUES (%s, %s) "
                 "ON CONFLICT (name) DO NOTHING", (name, version))


def reset_tracking(conn: psycopg.Connection[Any], name: str, version: int) -> None:
    conn.execute("DELETE FROM projection_tracking WHERE name = %s", (name,))
    conn.execute("INSERT INTO projection_tracking (name, version) VALUES (%s, %s)",
                 (name, version))
