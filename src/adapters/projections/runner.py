"""Runs one projection: read a batch in commit-safe order, decode, fetch the rows it touches,
apply in memory, then write the rows and the new position in one transaction."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.utils import get_topic
from sqlalchemy import Table

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.postgres.database import DictPool
from adapters.projections.buffer import BufferedRows, TableWriter
from adapters.projections.collector import collector_paused
from adapters.projections.follow import PositionMoved, follow
from adapters.projections.reader import EventRow, Position, RowBatch, read_rows_after
from adapters.projections.tables import TABLES
from adapters.projections.tracking import advance_tracking, load_tracking
from application.projections.base import Event, Projection, RowKey

log = logging.getLogger("frontdesk.projections")

MAX_ID = 2**63 - 1
LARGE_BATCH = 5_000
"""From this batch size on (rebuilds, bulk catch-up; live runners read 1,000) a batch runs with
the cyclic garbage collector paused: see ``collector``."""


def topics_of(projection: Projection) -> list[str] | None:
    """The stored-event topics a projection handles (the reader filters on them in SQL);
    None for a projection of every event."""
    if projection.handles_all:
        return None
    return [get_topic(c) for c in projection.event_classes]


class ProjectionRunner:
    def __init__(self, projection: Projection, pool: DictPool, mapper: PersonalDataMapper,
                 *, schema: str = "public", tracking_name: str | None = None,
                 batch_size: int = 1000, tables: Mapping[str, Table] = TABLES) -> None:
        self.projection = projection
        self._pool, self._mapper = pool, mapper
        self.writers = {t: TableWriter(tables[t], schema) for t in projection.tables}
        self.topics = topics_of(projection)
        self._needs_personal = {get_topic(c): projection.needs_personal_data(c)
                                for c in projection.event_classes}
        self.tracking_name = tracking_name or projection.name
        self.batch_size = batch_size
        self.position: Position | None = None
        self.horizon = 0

    # -- one batch --------------------------------------------------------------------------

    def step(self, conn: psycopg.Connection[Any] | None = None) -> int:
        """Process one batch; returns the number of events applied (0 when caught up)."""
        if self.batch_size >= LARGE_BATCH:
            with collector_paused():
                return self._step_on(conn)
        return self._step_on(conn)

    def _step_on(self, conn: psycopg.Connection[Any] | None) -> int:
        if conn is not None:
            return self._step(conn)
        with self._pool.connection() as pooled:
            return self._step(pooled)

    def _step(self, conn: psycopg.Connection[Any]) -> int:
        if self.position is None:
            row = load_tracking(conn, self.tracking_name)
            if row is None:
                raise LookupError(f"projection {self.tracking_name} has no tracking row")
            self.position, self.horizon = row.position, row.horizon
        start = self.position
        batch = read_rows_after(conn, start, self.batch_size, topics=self.topics or ())
        return self._apply(conn, start, batch)

    def _apply(self, conn: psycopg.Connection[Any], start: Position, batch: RowBatch) -> int:
        new_position = batch.last or start
        if len(batch.rows) < self.batch_size and batch.horizon > 0:
            # Every transaction below the horizon has been read: skip past non-matching ones.
            new_position = max(new_position, Position(batch.horizon - 1, MAX_ID))
        if new_position == start and batch.horizon <= self.horizon:
            return 0
        events = self.decode(batch.rows, conn)
        self.projection.prepare(events)
        rows = BufferedRows(self.writers)
        wanted: dict[str, set[RowKey]] = defaultdict(set)
        for event in events:
            for table, key in self.projection.keys(event):
                wanted[table].add(key)
        rows.load(conn, wanted)
        for event in events:
            self.projection.apply(event, rows)
        with conn.transaction():
            if not advance_tracking(conn, self.tracking_name, start, new_position,
                                    batch.horizon, len(events)):
                raise PositionMoved(self.tracking_name)
            rows.flush(conn)
        self.position, self.horizon = new_position, max(self.horizon, batch.horizon)
        return len(events)

    def decode(self, rows: list[EventRow],
               conn: psycopg.Connection[Any] | None = None) -> list[Event]:
        needs, default = self._needs_personal, not self.projection.handles_all
        # Keys only for the events whose personal data the projection reads.
        subjects = {row[7] for row in rows
                    if row[7] is not None and needs.get(row[5], default)}
        if subjects:  # and the messages' own keys (ADR 0086)
            subjects |= self._mapper.second_subjects(
                (row[5], row[6]) for row in rows
                if row[7] is not None and needs.get(row[5], default))
        keys: dict[UUID, bytes | None] = {}
        if subjects:  # on the connection we hold
            keys = self._mapper.keys.keys_for_read(None, subjects, conn=conn)
        event_from = self._mapper.event_from
        return [event_from(topic, state, originator_id, version, keys,
                           decrypt=needs.get(topic, default))
                for _, _, _, originator_id, version, topic, state, _ in rows]

    def catch_up(self, conn: psycopg.Connection[Any] | None = None,
                 progress: Callable[[int], None] | None = None) -> int:
        """Apply batches until caught up; returns how many events were applied."""
        total = 0
        while True:
            applied = self.step(conn)
            if applied == 0:
                return total
            total += applied
            if progress is not None:
                progress(applied)

    # -- forever ----------------------------------------------------------------------------

    def run(self, stop: threading.Event, wake: threading.Event, *, idle: float = 1.0,
            linger: float = 0.01, still_claimed: Callable[[], bool] = lambda: True) -> None:
        """Follow the log until ``stop`` (or until the claim on this projection is lost),
        lingering ``linger`` seconds after a small batch (see ``follow``)."""
        follow(self, self._pool, stop, wake, log, idle=idle, linger=linger,
               still_claimed=still_claimed)
