"""Run statements as one tenant: row-level security reads ``app.tenant_id`` of the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg


@contextmanager
def tenant_transaction(conn: psycopg.Connection[Any], tenant_id: UUID | None,
                       ) -> Iterator[psycopg.Cursor[Any]]:
    """A pipelined transaction with the tenant set for its duration only (``set_config`` local).

    BEGIN, the setting and the statements travel together; results are fetched on demand.
    """
    with conn.pipeline(), conn.transaction():
        cursor = conn.cursor()
        cursor.execute("SELECT set_config('app.tenant_id', %s, true)",
                       ("" if tenant_id is None else str(tenant_id),))
        yield cursor
