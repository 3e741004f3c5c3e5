"""The audit log: the ``audit_log`` projection and ``auth_events``, merged newest first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.readmodels.engine import ReadModelReader, decode_cursor, encode_cursor
from application.audit import AuditEntry, AuditFilters
from application.ports import Page

_UNION = """
SELECT occurred_at, id, actor, action, resource_type, resource_id, version, 'event' AS source,
       NULL::text AS ip, NULL::text AS user_agent, NULL::jsonb AS detail
FROM audit_log WHERE tenant_id = %(t)s {where}
UNION ALL
SELECT occurred_at, id, actor, action, resource_type, resource_id, NULL::integer, 'auth',
       ip, user_agent, detail
FROM auth_events WHERE tenant_id = %(t)s {where}
"""


class SqlAuditQueries:
    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def page(self, tenant_id: UUID, filters: AuditFilters, *, limit: int,
             cursor: str | None) -> Page[AuditEntry]:
        params: dict[str, Any] = {"t": tenant_id, "n": limit + 1}
        where = []
        for column, value in (("actor", filters.actor), ("action", filters.action),
                              ("resource_type", filters.resource_type),
                              ("resource_id", filters.resource_id)):
            if value is not None:
                where.append(f"AND {column} = %({column})s")
                params[column] = value
        if filters.since is not None:
            where.append("AND occurred_at >= %(since)s")
            params["since"] = filters.since
        if filters.until is not None:
            where.append("AND occurred_at < %(until)s")
            params["until"] = filters.until
        if cursor:
            params["at"], params["after"] = decode_cursor(cursor)
            where.append("AND (occurred_at, id) < (%(at)s, %(after)s)")
        query = ("SELECT * FROM (" + _UNION.format(where=" ".join(where)) + ") a "
                 "ORDER BY occurred_at DESC, id DESC LIMIT %(n)s")
        rows = self._reader.fetch(tenant_id, sql.SQL(query), params)
        more = len(rows) > limit
        items = [AuditEntry(r["id"], r["occurred_at"], r["actor"], r["action"],
                            r["resource_type"], r["resource_id"], r["version"], r["source"],
                            r["ip"], r["user_agent"], r["detail"] or {}) for r in rows[:limit]]
        return Page(items, encode_cursor(items[-1].occurred_at, items[-1].id) if more else None)
