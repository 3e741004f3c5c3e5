"""One tenant's events after a position, read as the API's role under row-level security, in
the projections' commit-safe order, and rendered as the event histories render them.

The order is (transaction id, notification id), and only below the oldest transaction still
running (``pg_snapshot_xmin``): an event committed late by a transaction that started early
is read before any later position is handed out, so a client that resumes after the last
position it saw misses nothing and gets nothing twice (``adapters.projections.reader``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from adapters.eventstore.history import history_data
from adapters.eventstore.mapper import Ciphers, PersonalDataMapper, _resolve
from adapters.eventstore.tenancy import fetch_as_tenant
from adapters.postgres.database import DictPool
from adapters.projections.reader import Position, StoredRow, tenant_query
from application.streams import SEALED_KINDS, StreamedEvent, aggregate_kind
from domain.contacts import Contact


@dataclass(frozen=True, slots=True)
class LogSlice:
    events: list[StreamedEvent]
    horizon: int
    """Every transaction with an id below this has been read (or is in ``events``)."""

    def cursor(self, after: Position) -> Position:
        """Where the next read starts: after the last event, or at the horizon when it is
        further (every position below it is read)."""
        last = Position.parse(self.events[-1].position) if self.events else after
        return max(last, Position(self.horizon, 0))


class PostgresTenantLog:
    """``TenantLog`` on the event store's table (the API's pool: RLS applies)."""

    def __init__(self, pool: DictPool, mapper: PersonalDataMapper) -> None:
        self._pool, self._mapper = pool, mapper

    def after(self, tenant_id: UUID, position: str | None, limit: int) -> list[StreamedEvent]:
        return self.read(tenant_id, position, limit).events

    def head(self, tenant_id: UUID) -> str:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin").fetchone()
        assert row is not None
        return Position(int(row["xmin"]), 0).text()

    def read(self, tenant_id: UUID, position: str | None, limit: int) -> LogSlice:
        """``after``, with how far the read reached (``horizon``)."""
        after = Position.start() if position is None else Position.parse(position)
        query, params = tenant_query(after, limit, tenant_id)
        with self._pool.connection() as conn:
            rows: list[dict[str, Any]] = fetch_as_tenant(conn, tenant_id, query, params)
            found = [(Position(int(r["tx"]), r["notification_id"]),
                      StoredRow(r["originator_id"], r["originator_version"], r["topic"],
                                bytes(r["state"]), r["tenant_id"], r["subject_id"],
                                r["occurred_at"]))
                     for r in rows if r["tx"] is not None]
            subjects = {s.subject_id for _, s in found if s.subject_id is not None}
            for _, stored in found:
                if _resolve(stored.topic) is Contact.ContactErased:
                    # The key went in the erasure's commit: forget any copy cached here, so
                    # the contact's events read [erased] from now on.
                    self._mapper.keys.destroyed(stored.originator_id)
                    subjects.discard(stored.originator_id)
            if subjects:
                subjects |= self._mapper.second_subjects(
                    (s.topic, s.state) for _, s in found if s.subject_id is not None)
                self._mapper.keys.prefetch(tenant_id, subjects, conn=conn)
        horizon = int(rows[0]["horizon"])
        if len(found) == limit:
            horizon = found[-1][0].tx
        ciphers: Ciphers = {}  # one key lookup and cipher per subject for this read
        return LogSlice([self._render(position, stored, ciphers) for position, stored in found],
                        horizon)

    def _render(self, position: Position, stored: StoredRow,
                ciphers: Ciphers) -> StreamedEvent:
        cls = _resolve(stored.topic)
        kind = aggregate_kind(cls)
        state = self._mapper.decode_state(stored, ciphers=ciphers,
                                          decrypt=kind not in SEALED_KINDS)
        at, actor, data = history_data(cls, state)
        return StreamedEvent(position=position.text(), type=cls.__name__,
                             aggregate_id=stored.originator_id, aggregate_kind=kind,
                             version=stored.originator_version, at=at, actor=actor, data=data)
