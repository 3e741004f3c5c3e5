"""PostgreSQL: the embedded server, roles, connection settings, migrations, RLS DDL and the
advisory-lock claims on background work."""

from adapters.postgres.database import APP_ROLE, WORKER_ROLE, DatabaseRoles, connect
from adapters.postgres.embedded import EmbeddedPostgres

__all__ = ["APP_ROLE", "WORKER_ROLE", "DatabaseRoles", "EmbeddedPostgres", "connect"]
