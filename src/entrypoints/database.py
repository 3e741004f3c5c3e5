"""Where the database comes from: DATABASE_URL, or the embedded server under the data dir."""

from __future__ import annotations

from adapters.postgres.database import DatabaseRoles
from adapters.postgres.embedded import EmbeddedPostgres
from adapters.postgres.migrate import migrate
from entrypoints.settings import Settings

_embedded: list[EmbeddedPostgres] = []


def provision_database(settings: Settings, *, run_migrations: bool = True) -> DatabaseRoles:
    """Start the embedded server when no DATABASE_URL is set, then migrate as the owner."""
    if settings.database_url:
        owner_url = settings.database_url
    else:
        if not _embedded:
            _embedded.append(EmbeddedPostgres(settings.data_dir))
        owner_url = _embedded[0].url(settings.database_name)
    roles = DatabaseRoles(owner_url=owner_url, app_password=settings.app_db_password,
                          worker_password=settings.worker_db_password)
    if run_migrations:
        migrate(roles)
    return roles
