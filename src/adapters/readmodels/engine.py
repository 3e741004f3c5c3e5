"""The SQLAlchemy engine of the API role, and tenant-scoped transactions on it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

import psycopg
from sqlalchemy import Connection, Engine, create_engine, text

from application.ports import BadCursor

_SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")


def app_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    return create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(url),
                         pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True,
                         pool_recycle=3600)


@contextmanager
def tenant_scope(engine: Engine, tenant_id: UUID) -> Iterator[Connection]:
    """A read transaction that row-level security confines to one tenant."""
    with engine.connect() as conn, conn.begin():
        conn.execute(_SET_TENANT, {"tenant": str(tenant_id)})
        yield conn


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
