"""Reading read models: plain SQL with the tenant set in the same round trip, and cursors.

SQLAlchemy Core defines the read-model tables (adapters.projections.tables); queries are
written here as SQL and sent over psycopg together with the tenant setting in one pipeline
segment (adapters.eventstore.tenancy), so a list or a get costs one round trip. Row-level
security does the isolation; every query also names its tenant, so an index serves it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from psycopg import sql

from adapters.eventstore.tenancy import fetch_as_tenant
from adapters.postgres.database import DictPool
from application.ports import BadCursor, Page


class _Listed(Protocol):
    @property
    def created_at(self) -> datetime: ...
    @property
    def id(self) -> UUID: ...


V = TypeVar("V", bound=_Listed)


class ReadModelReader:
    def __init__(self, pool: DictPool) -> None:
        self._pool = pool

    def fetch(self, tenant_id: UUID, query: Any, params: dict[str, Any], *,
              settings: dict[str, str] | None = None) -> list[dict[str, Any]]:
        with self._pool.connection() as conn:
            return fetch_as_tenant(conn, tenant_id, query, params, settings=settings)


def encode_cursor(created_at: datetime, row_id: UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(created_at), UUID(row_id)
    except (ValueError, TypeError) as error:
        raise BadCursor("this cursor was not issued by this service") from error


def newest_first(alias: str | None, tenant_id: UUID, filters: Any, columns: Sequence[str], *,
                 limit: int, cursor: str | None) -> tuple[sql.Composable, dict[str, Any]]:
    """Conditions and parameters of one page, newest first (``created_at DESC, id DESC``): the
    tenant, an equality for each of ``columns`` set in ``filters``, and the position after
    ``cursor``. ``%(limit)s`` is one more than the page, to tell whether another follows."""
    def column(name: str) -> sql.Identifier:
        return sql.Identifier(alias, name) if alias else sql.Identifier(name)

    where: list[sql.Composable] = [sql.SQL("{} = %(tenant)s").format(column("tenant_id"))]
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit + 1}
    for name in columns:
        value = getattr(filters, name)
        if value is not None:
            where.append(sql.SQL("{} = {}").format(column(name), sql.Placeholder(name)))
            params[name] = value
    if cursor:
        params["at"], params["after"] = decode_cursor(cursor)
        where.append(sql.SQL("({}, {}) < (%(at)s, %(after)s)").format(column("created_at"),
                                                                      column("id")))
    return sql.SQL(" AND ").join(where), params


def page_of(rows: list[dict[str, Any]], limit: int,
            view: Callable[[dict[str, Any]], V]) -> Page[V]:
    """A page from ``newest_first``'s rows: the first ``limit``, and a cursor when more came."""
    items = [view(row) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items, encode_cursor(items[-1].created_at, items[-1].id) if more else None)
