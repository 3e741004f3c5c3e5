"""Apply migrations as the owner and set the service roles' passwords."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from adapters.postgres.database import APP_ROLE, WORKER_ROLE, DatabaseRoles, connect

MIGRATIONS = Path(__file__).parent / "migrations"

# The highest committed transaction id stored (an event's, or the last one a reader applied),
# and the next transaction id the cluster will hand out: in a database this cluster wrote, the
# first is always below the second. Read as the worker role: it sees every tenant's events
# (the owner does not, under forced row-level security).
POSITIONS = """
SELECT greatest((SELECT max(tx_id) FROM events),
                (SELECT max(last_tx) FROM projection_tracking))::text AS highest,
       pg_snapshot_xmax(pg_current_snapshot())::text AS next_xid
"""


class CounterBehindLog(RuntimeError):
    """The cluster's transaction counter is behind the stored positions (security gap 16)."""


def migrate(roles: DatabaseRoles) -> None:
    """Bring the schema to head (idempotent) and (re)set the app and worker passwords."""
    engine = create_engine("postgresql+psycopg://", poolclass=NullPool,
                           creator=lambda: psycopg.connect(roles.owner_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        # Serialise concurrent starters (several processes may start on one database).
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        raw = connection.connection.driver_connection
        assert raw is not None
        update_vector_extension(raw)
        for role, password in ((APP_ROLE, roles.app_password),
                               (WORKER_ROLE, roles.worker_password)):
            raw.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)))
    engine.dispose()
    check_counter_ahead_of_log(roles)


def update_vector_extension(conn: psycopg.Connection[Any]) -> None:
    """Bring the catalog's pgvector to the version of the server's library: a database made by
    an earlier build keeps the version it was created with (ADR 0064)."""
    row = conn.execute("SELECT e.extversion, a.default_version FROM pg_extension e "
                       "JOIN pg_available_extensions a ON a.name = e.extname "
                       "WHERE e.extname = 'vector'").fetchone()
    if row is not None and _numbers(row[0]) < _numbers(row[1]):
        conn.execute("ALTER EXTENSION vector UPDATE")


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def check_counter_ahead_of_log(roles: DatabaseRoles) -> None:
    """Refuse to run on a database whose stored positions are ahead of the cluster's
    transaction counter.

    Positions are PostgreSQL transaction ids (ADR 0002). A logical restore (`pg_restore`)
    into a cluster whose counter is behind the source's gives every new event a position
    below the restored ones, so projections, outboxes, policies and the compactor, all
    past those positions, would skip every new event without an error. Every process
    migrates at start, so none of them starts on such a database; the runbook's restore
    section says how to move the counter on."""
    with connect(roles.worker_url) as conn:
        row = conn.execute(POSITIONS).fetchone()
    assert row is not None  # an aggregate query always answers one row
    highest, next_xid = row["highest"], row["next_xid"]
    if highest is not None and int(highest) >= int(next_xid):
        raise CounterBehindLog(
            f"the database's transaction counter ({next_xid}) is behind the positions stored in "
            f"it (up to {highest}): new events would sort before them and every reader would "
            "skip them. This follows a logical restore into another cluster; see the runbook, "
            "Restore, step 3, before starting Frontdesk on this database")
