"""A projection computed as of a past moment, in memory, without touching the live view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.eventstore.tenancy import SET_TENANT
from adapters.postgres.database import DictPool
from adapters.projections.reader import Position, read_after
from adapters.projections.runner import topics_of
from application.projections.base import Projection
from application.projections.memory import MemoryRows


def compute_as_of(projection: Projection, at: datetime, pool: DictPool,
                  mapper: PersonalDataMapper, *, tenant_id: UUID | None = None,
                  progress: Callable[[int], None] | None = None,
                  batch_size: int = 5000, as_tenant: bool = False) -> MemoryRows:
    """Apply every event that occurred at or before ``at`` (in commit order) to empty rows.

    ``pool`` must read across tenants (the worker role) unless ``tenant_id`` is given, in
    which case only that tenant's events are applied. ``as_tenant``: read them as that
    tenant under row-level security, in one transaction (the API's role, ADR 0072).
    """
    if at.tzinfo is None:
        raise ValueError("the as-of moment needs a timezone")
    topics = topics_of(projection)
    rows = MemoryRows()
    position = Position.start()
    if as_tenant and tenant_id is None:
        raise ValueError("reading as a tenant needs the tenant")
    with pool.connection() as conn, conn.transaction():
        if as_tenant:
            conn.execute(SET_TENANT, (str(tenant_id),))
        while True:
            batch = read_after(conn, position, batch_size, topics=topics or (), until=at,
                               tenant_id=tenant_id)
            if not batch.events:
                return rows
            subjects = {e.stored.subject_id for e in batch.events if e.stored.subject_id}
            mapper.keys.prefetch(tenant_id, subjects)
            events = [mapper.to_domain_event(read.stored, decrypt=not projection.handles_all)
                      for read in batch.events]
            projection.prepare(events)
            for event in events:
                projection.apply(event, rows)
            position = batch.events[-1].position
            if progress is not None:
                progress(len(batch.events))
