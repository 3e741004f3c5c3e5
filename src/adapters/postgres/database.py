"""Connection settings for the three database roles.

- the **owner** (DATABASE_URL) runs migrations and DDL; it owns every table; only
  ``frontdesk migrate`` and operator commands that change the schema hold it;
- ``frontdesk_app`` serves the API: not a superuser, not an owner, so row-level security applies;
- ``frontdesk_worker`` runs projections: also RLS-bound, and let through only by explicit
  ``TO frontdesk_worker`` policies on the tables projections must read or write across tenants.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

DictPool = ConnectionPool[psycopg.Connection[dict[str, Any]]]
"""A pool whose connections return rows as dicts."""

APP_ROLE = "frontdesk_app"
WORKER_ROLE = "frontdesk_worker"


class RoleNotGiven(RuntimeError):
    """This process was not given the credentials of a role it tried to connect as."""


@dataclass(frozen=True)
class DatabaseRoles:
    """The roles one process may connect as (ADR 0072). ``serve`` (the API) holds only the
    app role; ``worker`` the app and worker roles; ``migrate`` and operator commands that
    change the schema the owner too. A role that was not given is ``None``, and asking for
    its URL raises ``RoleNotGiven`` instead of connecting as someone else."""

    app_url: str
    worker: str | None = None
    owner: str | None = None

    @classmethod
    def from_owner(cls, owner_url: str, app_password: str, worker_password: str
                   ) -> DatabaseRoles:
        """Every role, on the owner's host and database, with the service roles' passwords."""
        return cls(app_url=make_conninfo(owner_url, user=APP_ROLE, password=app_password),
                   worker=make_conninfo(owner_url, user=WORKER_ROLE, password=worker_password),
                   owner=owner_url)

    @property
    def worker_url(self) -> str:
        if self.worker is None:
            raise RoleNotGiven(f"this process was given no {WORKER_ROLE} credentials "
                               "(FRONTDESK_WORKER_DATABASE_URL)")
        return self.worker

    @property
    def owner_url(self) -> str:
        if self.owner is None:
            raise RoleNotGiven("this process was given no owner credentials (DATABASE_URL): "
                               "run `frontdesk migrate` with them")
        return self.owner

    def without_owner(self) -> DatabaseRoles:
        return replace(self, owner=None)

    @staticmethod
    def password(url: str) -> str:
        return str(conninfo_to_dict(url).get("password") or "")

    def params(self, url: str) -> dict[str, Any]:
        """Host, port, dbname, user, password of a URL, as the eventsourcing datastore wants."""
        info = conninfo_to_dict(url)
        return {"dbname": info.get("dbname", "postgres"), "host": info.get("host", ""),
                "port": info.get("port", "5432"), "user": info.get("user", ""),
                "password": info.get("password", "")}


class OnDemandPool(ConnectionPool[psycopg.Connection[dict[str, Any]]]):
    """A pool that connects at its first use, for a role this process may never use; given no
    URL (the role's credentials were not given to this process), that use raises
    ``RoleNotGiven``."""

    def __init__(self, conninfo: str | None, **kwargs: Any) -> None:
        super().__init__(conninfo or "", open=False, **kwargs)
        self._given = conninfo is not None
        self._started = threading.Lock()

    def getconn(self, timeout: float | None = None) -> psycopg.Connection[dict[str, Any]]:
        if self.closed:
            if not self._given:
                raise RoleNotGiven(f"this process was given no {WORKER_ROLE} credentials "
                                   "(FRONTDESK_WORKER_DATABASE_URL)")
            with self._started:
                self.open(wait=True, timeout=30)
        return super().getconn(timeout)


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
