"""Reads the event log in commit-safe order: (transaction id, notification id), only below the
oldest transaction still running (``pg_snapshot_xmin``).

Every transaction with an id below that horizon has finished, so the set of rows below it can
never grow: a reader that advances through it in order cannot skip a late commit, however many
writers run concurrently and without any table lock on the write side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row


class Position(NamedTuple):
    """Where a reader is: (transaction id, notification id), ordered."""

    tx: int
    id: int

    @classmethod
    def start(cls) -> Position:
        return cls(0, 0)

    def text(self) -> str:
        """``TX:ID``, as operators see and type it (events dump, projections status)."""
        return f"{self.tx}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Position:
        """The inverse of ``text``; ValueError for anything else."""
        tx, colon, nid = text.partition(":")
        if not colon:
            raise ValueError(f"not a TX:ID position: {text!r}")
        return cls(int(tx), int(nid))


class StoredRow(NamedTuple):
    """A stored event as read from the log (attribute-compatible with the library's
    StoredEvent, without the cost of a frozen dataclass per row)."""

    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    tenant_id: UUID
    subject_id: UUID | None
    occurred_at: datetime


class ReadEvent(NamedTuple):
    position: Position
    stored: StoredRow


@dataclass(frozen=True, slots=True)
class ReadBatch:
    events: list[ReadEvent]
    horizon: int
    """Every transaction with an id below this has been read (or is in ``events``)."""


_COLUMNS = ("e.tx_id::text AS tx, e.notification_id, e.tenant_id, e.originator_id, "
            "e.originator_version, e.topic, e.state, e.subject_id, e.occurred_at")


def _query(columns: str, after: Position, limit: int, *, topics: Sequence[str] = (),
           until: datetime | None = None, tenant_id: UUID | None = None
           ) -> tuple[str, list[Any]]:
    filters = ""
    params: list[Any] = [str(after.tx), after.id]
    if tenant_id is not None:
        filters += " AND e.tenant_id = %s"
        params.append(tenant_id)
    if topics:
        filters += " AND e.topic = ANY(%s)"
        params.append(list(topics))
    if until is not None:
        filters += " AND e.occurred_at <= %s"
        params.append(until)
    params.append(limit)
    query = (
        "WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) "
        f"SELECT h.xmin::text AS horizon, {columns} FROM h LEFT JOIN LATERAL ("
        "  SELECT * FROM events e WHERE (e.tx_id, e.notification_id) > (%s::xid8, %s)"
        f"  AND e.tx_id < h.xmin {filters} ORDER BY e.tx_id, e.notification_id LIMIT %s"
        ") e ON true")
    return query, params


def tenant_query(after: Position, limit: int, tenant_id: UUID) -> tuple[str, list[Any]]:
    """``read_after``'s statement for one tenant's events (columns as named in ``_COLUMNS``
    plus ``horizon``), to run as that tenant under row-level security (``fetch_as_tenant``):
    the API's live streams (``adapters.streams``)."""
    return _query(_COLUMNS, after, limit, tenant_id=tenant_id)


def read_after(conn: psycopg.Connection[Any], after: Position, limit: int, *,
               topics: Sequence[str] = (), until: datetime | None = None,
               tenant_id: UUID | None = None) -> ReadBatch:
    query, params = _query(_COLUMNS, after, limit, topics=topics, until=until,
                           tenant_id=tenant_id)
    cursor = conn.cursor(row_factory=tuple_row)  # tuples: a dict per row costs a rebuild
    rows = cursor.execute(query, params, prepare=True).fetchall()
    horizon = int(rows[0][0])
    events = [ReadEvent(Position(int(tx), nid), StoredRow(oid, version, topic, state, tenant,
                                                          subject, at))
              for _, tx, nid, tenant, oid, version, topic, state, subject, at in rows
              if tx is not None]
    if len(events) == limit:
        horizon = events[-1].position.tx
    return ReadBatch(events, horizon)


EventRow = tuple[str, str, int, UUID, int, str, bytes, UUID | None]
"""(horizon, tx, notification id, originator id, originator version, topic, state, subject)."""


@dataclass(frozen=True, slots=True)
class RowBatch:
    rows: list[EventRow]
    horizon: int
    """Every transaction with an id below this has been read (or is in ``rows``)."""
    last: Position | None
    """The position of the last row."""


_ROW_COLUMNS = ("e.tx_id::text AS tx, e.notification_id, e.originator_id, "
                "e.originator_version, e.topic, e.state, e.subject_id")


def read_rows_after(conn: psycopg.Connection[Any], after: Position, limit: int, *,
                    topics: Sequence[str] = ()) -> RowBatch:
    """``read_after`` for the projection runner: the same rows in the same order, as the plain
    tuples the driver makes (in binary, so the state arrives as bytes, not hex), with only the
    columns a projection needs. No objects per row: a rebuild reads hundreds of thousands."""
    query, params = _query(_ROW_COLUMNS, after, limit, topics=topics)
    cursor = conn.cursor(row_factory=tuple_row, binary=True)
    rows: list[EventRow] = cursor.execute(query, params, prepare=True).fetchall()
    horizon = int(rows[0][0])
    if rows[0][1] is None:  # the outer row of an empty read
        return RowBatch([], horizon, None)
    last = Position(int(rows[-1][1]), rows[-1][2])
    if len(rows) == limit:
        horizon = last.tx
    return RowBatch(rows, horizon, last)


def prefetch_keys(mapper: Any, batch: ReadBatch, conn: psycopg.Connection[Any]) -> None:
    """Load the data keys a batch's events need on the connection the reader holds, before
    they are decoded (decoding would otherwise take a second connection from the pool for
    them, and runners all doing so at once can empty it)."""
    subjects = {e.stored.subject_id for e in batch.events if e.stored.subject_id is not None}
    if subjects:
        subjects |= mapper.second_subjects((e.stored.topic, e.stored.state)
                                           for e in batch.events
                                           if e.stored.subject_id is not None)
        mapper.keys.prefetch(None, subjects, conn=conn)
