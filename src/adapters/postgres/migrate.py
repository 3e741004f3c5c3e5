"""Apply migrations as the owner and set the service roles' passwords; tell a process that
does not migrate whether the database is at the code's schema (ADR 0072)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from adapters.postgres.database import APP_ROLE, WORKER_ROLE, DatabaseRoles, connect

MIGRATIONS = Path(__file__).parent / "migrations"

# The highest committed transaction id stored (an event's, or the last one a reader applied),
# and the next transaction id the cluster will hand out: in a database this cluster wrote, the
# first is always below the second. The highest is read by a narrow owner-run function
# (migration 0011): any role may ask, none needs to read every tenant's events for it.
POSITIONS = """
SELECT frontdesk_highest_position()::text AS highest,
       pg_snapshot_xmax(pg_current_snapshot())::text AS next_xid
"""


class SchemaBehind(RuntimeError):
    """The database is not at the schema this code needs: ``frontdesk migrate`` first."""


class CounterBehindLog(RuntimeError):
    """The cluster's transaction counter is behind the stored positions (security gap 16)."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def schema_revision(url: str) -> str | None:
    """The database's schema revision, read (never changed) as whoever ``url`` names; None
    when it was never migrated, or is too old for that role to read it."""
    with connect(url) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except (psycopg.errors.UndefinedTable, psycopg.errors.InsufficientPrivilege):
            return None
    return row["version_num"] if row else None


def require_current_schema(roles: DatabaseRoles) -> None:
    """Refuse to run on a database that is not at this code's schema, without changing it:
    what ``serve``, ``worker`` and the read-only commands do instead of migrating. Read as
    the owner when this process holds it (a database never migrated has no service roles
    yet), else as the API role."""
    url = roles.owner or roles.app_url
    try:
        found = schema_revision(url)
    except psycopg.OperationalError as error:
        if roles.owner is not None:
            raise
        raise SchemaBehind(
            f"cannot connect as the API role ({error.__class__.__name__}): has this database "
            "been migrated? Run `frontdesk migrate` with the owner's DATABASE_URL "
            "first") from None
    head = head_revision()
    if found != head:
        raise SchemaBehind(
            f"the database schema is at {found or 'nothing (never migrated)'}, this code needs "
            f"{head}: run `frontdesk migrate` with the owner's DATABASE_URL first; nothing "
            "was changed")
    check_counter_ahead_of_log(url)


def _roles_raced(error: BaseException) -> bool:
    """Another database of the cluster was migrated at the same moment: the service roles are
    the cluster's, not the database's, so creating them, granting them or setting their
    passwords can meet the other transaction's (a duplicate role or membership, "tuple
    concurrently updated"). The whole migration is one transaction: it is run again."""
    cause = getattr(error, "orig", None) or error
    return isinstance(cause, psycopg.errors.UniqueViolation) or (
        isinstance(cause, psycopg.errors.InternalError_)
        and "concurrently updated" in str(cause))


@retry(retry=retry_if_exception(_roles_raced), stop=stop_after_attempt(6),
       wait=wait_random_exponential(multiplier=0.2, max=3), reraise=True)
def migrate(roles: DatabaseRoles) -> None:
    """Bring the schema to head (idempotent) and (re)set the app and worker passwords (those
    of the roles' URLs)."""
    engine = create_engine("postgresql+psycopg://", poolclass=NullPool,
                           creator=lambda: psycopg.connect(roles.owner_url))
    config = _config()
    with engine.begin() as connection:
        # Serialise concurrent starters (several processes may start on one database).
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        raw = connection.connection.driver_connection
        assert raw is not None
        update_vector_extension(raw)
        for role, password in ((APP_ROLE, roles.password(roles.app_url)),
                               (WORKER_ROLE, roles.password(roles.worker_url))):
            raw.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)))
    engine.dispose()
    check_counter_ahead_of_log(roles.app_url)


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


def check_counter_ahead_of_log(url: str) -> None:
    """Refuse to run on a database whose stored positions are ahead of the cluster's
    transaction counter.

    Positions are PostgreSQL transaction ids (ADR 0002). A logical restore (`pg_restore`)
    into a cluster whose counter is behind the source's gives every new event a position
    below the restored ones, so projections, outboxes, policies and the compactor, all
    past those positions, would skip every new event without an error. ``migrate`` checks
    it, and every process checks it at start (``require_current_schema``), so none of them
    starts on such a database; the runbook's restore section says how to move the counter
    on."""
    with connect(url) as conn:
        row = conn.execute(POSITIONS).fetchone()
    assert row is not None  # an aggregate query always answers one row
    highest, next_xid = row["highest"], row["next_xid"]
    if highest is not None and int(highest) >= int(next_xid):
        raise CounterBehindLog(
            f"the database's transaction counter ({next_xid}) is behind the positions stored in "
            f"it (up to {highest}): new events would sort before them and every reader would "
            "skip them. This follows a logical restore into another cluster; see the runbook, "
            "Restore, step 3, before starting Frontdesk on this database")
