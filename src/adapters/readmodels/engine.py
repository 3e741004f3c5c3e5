"""Reading read models: plain SQL with the tenant set in the same round trip, and cursors.

SQLAlchemy Core defines the read-model tables (adapters.projections.tables); queries are
written here as SQL and sent over psycopg together with the tenant setting in one pipeline
segment (adapters.eventstore.tenancy), so a list or a get costs one round trip. Row-level
security does the isolation; every query also names its tenant, so an index serves it.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.eventstore.tenancy import fetch_as_tenant
from adapters.postgres.database import DictPool
from application.ports import BadCursor


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
