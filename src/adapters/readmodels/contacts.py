"""ContactQueries over the contacts read model."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.readmodels.engine import ReadModelReader, decode_cursor, encode_cursor
from application.contacts.views import ContactView
from application.ports import Page

_COLUMNS = sql.SQL("c.id, c.name, c.email, c.phone, c.consents, c.version, c.created_at, "
                   "c.updated_at")


def contact_view(row: Any) -> ContactView:
    return ContactView(id=row["id"], name=row["name"], email=row["email"], phone=row["phone"],
                       consents=dict(row["consents"]), version=row["version"],
                       created_at=row["created_at"], updated_at=row["updated_at"])


class SqlContactQueries:
    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def get(self, tenant_id: UUID, contact_id: UUID) -> ContactView | None:
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT {} FROM contacts c WHERE c.tenant_id = %(tenant)s AND c.id = %(id)s"
        ).format(_COLUMNS), {"tenant": tenant_id, "id": contact_id})
        return contact_view(rows[0]) if rows else None

    def page(self, tenant_id: UUID, *, email: str | None, phone: str | None, limit: int,
             cursor: str | None) -> Page[ContactView]:
        where: list[sql.Composable] = [sql.SQL("c.tenant_id = %(tenant)s")]
        params: dict[str, Any] = {"tenant": tenant_id, "limit": limit + 1}
        if email:
            where.append(sql.SQL("c.email = %(email)s"))
            params["email"] = email.strip().lower()
        if phone:
            where.append(sql.SQL("c.phone = %(phone)s"))
            params["phone"] = phone
        if cursor:
            params["at"], params["after"] = decode_cursor(cursor)
            where.append(sql.SQL("(c.created_at, c.id) < (%(at)s, %(after)s)"))
        query = sql.SQL("SELECT {} FROM contacts c WHERE {} ORDER BY c.created_at DESC, "
                        "c.id DESC LIMIT %(limit)s").format(_COLUMNS,
                                                             sql.SQL(" AND ").join(where))
        rows = self._reader.fetch(tenant_id, query, params)
        items = [contact_view(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].created_at, items[-1].id) if more else None)
