"""LeadQueries over lead_pipeline, joined with contacts for name, email and phone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, and_, select, tuple_

from adapters.projections.tables import contacts, lead_pipeline
from adapters.readmodels.engine import decode_cursor, encode_cursor, tenant_scope
from application.leads.views import FollowUpView, LeadFilters, LeadView
from application.ports import Page

_OPEN = ("new", "contacted", "qualified")
_VIEW = select(lead_pipeline, contacts.c.name, contacts.c.email, contacts.c.phone).select_from(
    lead_pipeline.outerjoin(contacts, and_(contacts.c.tenant_id == lead_pipeline.c.tenant_id,
                                           contacts.c.id == lead_pipeline.c.contact_id)))


def lead_view(row: Any) -> LeadView:
    follow_ups = [FollowUpView(id=UUID(f["id"]), due_at=datetime.fromisoformat(f["due_at"]),
                               automatic=f["automatic"],
                               completed_at=datetime.fromisoformat(f["completed_at"])
                               if f["completed_at"] else None)
                  for f in row["follow_ups"]]
    return LeadView(id=row["id"], contact_id=row["contact_id"], status=row["status"],
                    version=row["version"], source=row["source"], campaign=row["campaign"],
                    channel=row["channel"], score=row["score"], assigned_to=row["assigned_to"],
                    case_id=row["case_id"], follow_ups=follow_ups, created_at=row["created_at"],
                    updated_at=row["updated_at"], last_activity_at=row["last_activity_at"],
                    name=row["name"], email=row["email"], phone=row["phone"])


class SqlLeadQueries:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, tenant_id: UUID, lead_id: UUID) -> LeadView | None:
        with tenant_scope(self._engine, tenant_id) as conn:
            row = conn.execute(_VIEW.where(lead_pipeline.c.id == lead_id)).mappings().first()
        return lead_view(row) if row else None

    def page(self, tenant_id: UUID, filters: LeadFilters, *, limit: int,
             cursor: str | None) -> Page[LeadView]:
        t = lead_pipeline.c
        query = _VIEW.order_by(t.created_at.desc(), t.id.desc())
        for column, value in (("status", filters.status), ("source", filters.source),
                              ("campaign", filters.campaign),
                              ("assigned_to", filters.assigned_to),
                              ("contact_id", filters.contact_id)):
            if value is not None:
                query = query.where(t[column] == value)
        if cursor:
            at, last_id = decode_cursor(cursor)
            query = query.where(tuple_(t.created_at, t.id) < tuple_(at, last_id))
        with tenant_scope(self._engine, tenant_id) as conn:
            rows = conn.execute(query.limit(limit + 1)).mappings().all()
        items = [lead_view(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].created_at, items[-1].id) if more else None)

    def stale_candidates(self, tenant_id: UUID, *, inactive_since: datetime,
                         limit: int) -> list[UUID]:
        t = lead_pipeline.c
        query = (select(t.id).where(t.status.in_(_OPEN), t.next_follow_up_at.is_(None),
                                    t.last_activity_at <= inactive_since)
                 .order_by(t.last_activity_at).limit(limit))
        with tenant_scope(self._engine, tenant_id) as conn:
            return list(conn.execute(query).scalars())
