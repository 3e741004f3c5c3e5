"""Connection settings for the three database roles.

- the **owner** (DATABASE_URL) runs migrations and DDL; it owns every table;
- ``frontdesk_app`` serves the API: not a superuser, not an owner, so row-level security applies;
- ``frontdesk_worker`` runs projections: also RLS-bound, and let through only by explicit
  ``TO frontdesk_worker`` policies on the tables projections must read or write across tenants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

DictPool = ConnectionPool[psycopg.Connection[dict[str, Any]]]
"""A pool whose connections return rows as dicts."""

APP_ROLE = "frontdesk_app"
WORKER_ROLE = "frontdesk_worker"


@dataclass(frozen=True)
class DatabaseRoles:
    owner_url: str
    app_password: str
    worker_password: str

    @property
    def app_url(self) -> str:
        return make_conninfo(self.owner_url, user=APP_ROLE, password=self.app_password)

    @property
    def worker_url(self) -> str:
        return make_conninfo(self.owner_url, user=WORKER_ROLE, password=self.worker_password)

    def params(self, url: str) -> dict[str, Any]:
        """Host, port, dbname, user, password of a URL, as the eventsourcing datastore wants."""
        info = conninfo_to_dict(url)
        return {"dbname": info.get("dbname", "postgres"), "host": info.get("host", ""),
                "port": info.get("port", "5432"), "user": info.get("user", ""),
                "password": info.get("password", "")}


def fetch_value(conn: psycopg.Connection[dict[str, Any]], query: Any,
                params: Any = ()) -> Any:
    """The first column of the first row (a count, a flag)."""
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return next(iter(row.values()))


def bound_statements(conn: psycopg.Connection[Any], seconds: float) -> None:
    """Cancel any statement of the current transaction that runs longer than ``seconds``."""
    conn.execute("SELECT set_config('statement_timeout', %s, true)",
                 (f"{max(1, round(seconds * 1000))}ms",))


def connect(url: str, *, autocommit: bool = True) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(url, autocommit=autocommit, row_factory=dict_row)
