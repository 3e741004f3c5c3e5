"""ContactQueries over the contacts read model."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select, tuple_

from adapters.projections.tables import contacts
from adapters.readmodels.engine import decode_cursor, encode_cursor, tenant_scope
from application.contacts.views import ContactView
from application.ports import Page


def contact_view(row: Any) -> ContactView:
    return ContactView(id=row["id"], name=row["name"], email=row["email"], phone=row["phone"],
                       consents=dict(row["consents"]), version=row["version"],
                       created_at=row["created_at"], updated_at=row["updated_at"])


class SqlContactQueries:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, tenant_id: UUID, contact_id: UUID) -> ContactView | None:
        with tenant_scope(self._engine, tenant_id) as conn:
            row = conn.execute(select(contacts).where(contacts.c.id == contact_id)
                               ).mappings().first()
        return contact_view(row) if row else None

    def page(self, tenant_id: UUID, *, email: str | None, phone: str | None, limit: int,
             cursor: str | None) -> Page[ContactView]:
        query = select(contacts).order_by(contacts.c.created_at.desc(), contacts.c.id.desc())
        if email:
            query = query.where(contacts.c.email == email.strip().lower())
        if phone:
            query = query.where(contacts.c.phone == phone)
        if cursor:
            at, last_id = decode_cursor(cursor)
            query = query.where(tuple_(contacts.c.created_at, contacts.c.id) < tuple_(at, last_id))
        with tenant_scope(self._engine, tenant_id) as conn:
            rows = conn.execute(query.limit(limit + 1)).mappings().all()
        items = [contact_view(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].created_at, items[-1].id) if more else None)
