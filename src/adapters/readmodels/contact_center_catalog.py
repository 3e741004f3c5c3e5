"""Dispositions (standard codes plus the tenant's) and call scripts with their revisions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.readmodels.engine import ReadModelReader, decode_cursor, encode_cursor
from application.contact_center.views import DispositionView, ScriptView
from application.ports import Page
from domain.contact_center import STANDARD_DISPOSITIONS


def script_view(row: Any, revision: Any | None = None) -> ScriptView:
    shown = revision or row
    return ScriptView(id=row["id"], target_kind=row["target_kind"], target=row["target"],
                      title=shown["title"], steps=list(shown["steps"]),
                      revision=shown["revision"], retired=row["retired"],
                      version=row["version"], created_at=row["created_at"],
                      updated_at=row["updated_at"], revisions=list(row["revisions"]))


class SqlCatalogQueries:
    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def dispositions(self, tenant_id: UUID) -> list[DispositionView]:
        standard = [DispositionView(code, label, description, True)
                    for code, (label, description) in STANDARD_DISPOSITIONS.items()]
        rows = self._reader.fetch(tenant_id, "SELECT code, label, description FROM "
                                  "cc_dispositions WHERE tenant_id = %(t)s ORDER BY code",
                                  {"t": tenant_id})
        return standard + [DispositionView(r["code"], r["label"], r["description"], False)
                           for r in rows]

    def script(self, tenant_id: UUID, script_id: UUID,
               revision: int | None = None) -> ScriptView | None:
        rows = self._reader.fetch(tenant_id, (
            "SELECT s.*, r.title AS r_title, r.steps AS r_steps, r.revision AS r_revision "
            "FROM cc_scripts s LEFT JOIN cc_script_revisions r ON r.tenant_id = s.tenant_id "
            "AND r.script_id = s.id AND r.revision = %(revision)s "
            "WHERE s.tenant_id = %(t)s AND s.id = %(id)s"),
            {"t": tenant_id, "id": script_id, "revision": revision or 0})
        if not rows:
            return None
        row = rows[0]
        if revision is None:
            return script_view(row)
        if row["r_revision"] is None:
            return None
        return script_view(row, {"title": row["r_title"], "steps": row["r_steps"],
                                 "revision": row["r_revision"]})

    def scripts(self, tenant_id: UUID, *, target_kind: str | None, target: str | None,
                include_retired: bool, limit: int, cursor: str | None) -> Page[ScriptView]:
        params: dict[str, Any] = {"t": tenant_id, "limit": limit + 1}
        where: list[sql.Composable] = [sql.SQL("s.tenant_id = %(t)s")]
        if target_kind:
            where.append(sql.SQL("s.target_kind = %(kind)s"))
            params["kind"] = target_kind
        if target:
            where.append(sql.SQL("s.target = %(target)s"))
            params["target"] = target
        if not include_retired:
            where.append(sql.SQL("NOT s.retired"))
        if cursor:
            params["at"], params["after"] = decode_cursor(cursor)
            where.append(sql.SQL("(s.created_at, s.id) < (%(at)s, %(after)s)"))
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT * FROM cc_scripts s WHERE {} ORDER BY s.created_at DESC, s.id DESC "
            "LIMIT %(limit)s").format(sql.SQL(" AND ").join(where)), params)
        items = [script_view(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].created_at, items[-1].id) if more else None)
