"""Apply migrations as the owner and set the service roles' passwords."""

from __future__ import annotations

from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from adapters.postgres.database import APP_ROLE, WORKER_ROLE, DatabaseRoles

MIGRATIONS = Path(__file__).parent / "migrations"


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
        for role, password in ((APP_ROLE, roles.app_password),
                               (WORKER_ROLE, roles.worker_password)):
            raw.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)))
    engine.dispose()
