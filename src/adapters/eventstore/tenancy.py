"""Run statements as one tenant: row-level security reads ``app.tenant_id`` of the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg

SET_TENANT = "SELECT set_config('app.tenant_id', %s, true)"


def fetch_as_tenant(conn: psycopg.Connection[Any], tenant_id: UUID | None, query: Any,
                    params: Sequence[Any] | dict[str, Any] = (), *,
                    settings: dict[str, str] | None = None) -> list[Any]:
    """One round trip: the tenant setting and the query travel in one pipeline segment, which
    PostgreSQL runs as one implicit transaction, so the (transaction-local) setting applies to
    the query and is gone when it returns. ``settings``: more transaction-local settings."""
    with conn.pipeline() as pipeline:
        conn.cursor().execute(SET_TENANT, ("" if tenant_id is None else str(tenant_id),))
        for name, value in (settings or {}).items():
            conn.cursor().execute("SELECT set_config(%s, %s, true)", (name, value))
        cursor = conn.cursor()
        cursor.execute(query, params, prepare=True)
        pipeline.sync()
        return cursor.fetchall()


def execute_as_tenant(conn: psycopg.Connection[Any], tenant_id: UUID,
                      statements: Sequence[tuple[Any, Sequence[Any]]]) -> None:
    """Several writes as one tenant, atomically, in one round trip (one pipeline segment).

    Never as prepared statements: when one statement fails (a unique violation, say), the
    server skips the rest of the segment, including the PREPARE of a later statement that
    psycopg would then believe exists ("prepared statement _pg3_N does not exist" on the
    pooled connection's next use)."""
    with conn.pipeline() as pipeline:
        cursor = conn.cursor()
        cursor.execute(SET_TENANT, (str(tenant_id),), prepare=False)
        for query, params in statements:
            cursor.execute(query, params, prepare=False)
        pipeline.sync()
