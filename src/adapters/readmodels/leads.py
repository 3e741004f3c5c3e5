"""LeadQueries over lead_pipeline, joined with contacts for name, email and phone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.readmodels.engine import ReadModelReader, newest_first, page_of
from application.leads.views import (
    PIPELINE_STAGES,
    FollowUpView,
    LeadFilters,
    LeadView,
    StageTotal,
)
from application.ports import Page

_CONTACT = sql.SQL(
    "LEFT JOIN LATERAL (SELECT c.name, c.email, c.phone FROM contacts c "
    "WHERE c.tenant_id = l.tenant_id AND c.id = l.contact_id LIMIT 1) c ON true ")
"""A lead's contact, looked up by primary key for each lead row. The LIMIT keeps the planner
from flattening the lookup into a join it would plan from statistics: on tables autovacuum had
not analysed yet it compared every lead of the tenant with every contact of the tenant, 40-184
ms for one page (ADR 0057)."""
_SELECT = sql.SQL("SELECT l.*, c.name, c.email, c.phone FROM ")
_VIEW = _SELECT + sql.SQL("lead_pipeline l ") + _CONTACT
_FILTERS = ("status", "source", "campaign", "assigned_to", "contact_id")


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


def page_query(tenant_id: UUID, filters: LeadFilters, *, limit: int,
               cursor: str | None) -> tuple[sql.Composable, dict[str, Any]]:
    """One page of leads, newest first, and one row more to tell whether another page follows.

    The page is cut from lead_pipeline alone, along its order index, and only then joined: the
    contact lookups are as many as the page's rows, whatever the tenant's size or the state of
    the planner's statistics."""
    where, params = newest_first("l", tenant_id, filters, _FILTERS, limit=limit, cursor=cursor)
    query = _SELECT + sql.SQL(
        "(SELECT * FROM lead_pipeline l WHERE {} ORDER BY l.created_at DESC, l.id DESC "
        "LIMIT %(limit)s) l {}ORDER BY l.created_at DESC, l.id DESC").format(where, _CONTACT)
    return query, params


class SqlLeadQueries:
    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def get(self, tenant_id: UUID, lead_id: UUID) -> LeadView | None:
        rows = self._reader.fetch(
            tenant_id, _VIEW + sql.SQL("WHERE l.tenant_id = %(tenant)s AND l.id = %(id)s"),
            {"tenant": tenant_id, "id": lead_id})
        return lead_view(rows[0]) if rows else None

    def page(self, tenant_id: UUID, filters: LeadFilters, *, limit: int,
             cursor: str | None) -> Page[LeadView]:
        query, params = page_query(tenant_id, filters, limit=limit, cursor=cursor)
        return page_of(self._reader.fetch(tenant_id, query, params), limit, lead_view)

    def stages(self, tenant_id: UUID) -> list[StageTotal]:
        counts = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT status, count(*) AS leads FROM lead_pipeline WHERE tenant_id = %(tenant)s "
            "GROUP BY status"), {"tenant": tenant_id})
        values = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT l.status, c.currency, sum(c.quoted) AS open_value FROM lead_pipeline l "
            "JOIN cases c ON c.tenant_id = l.tenant_id AND c.lead_id = l.id "
            "WHERE l.tenant_id = %(tenant)s AND c.quote IS NOT NULL "
            "AND c.status NOT IN ('completed', 'cancelled') GROUP BY l.status, c.currency"),
            {"tenant": tenant_id})
        leads = {r["status"]: int(r["leads"]) for r in counts}
        open_value: dict[str, dict[str, int]] = {}
        for r in values:
            open_value.setdefault(r["status"], {})[r["currency"]] = int(r["open_value"])
        return [StageTotal(s, leads.get(s, 0), dict(sorted(open_value.get(s, {}).items())))
                for s in PIPELINE_STAGES]

    def stale_candidates(self, tenant_id: UUID, *, inactive_since: datetime,
                         limit: int) -> list[UUID]:
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT id FROM lead_pipeline WHERE tenant_id = %(tenant)s "
            "AND status IN ('new', 'contacted', 'qualified') AND next_follow_up_at IS NULL "
            "AND last_activity_at <= %(since)s ORDER BY last_activity_at LIMIT %(limit)s"),
            {"tenant": tenant_id, "since": inactive_since, "limit": limit})
        return [r["id"] for r in rows]
