"""Where the database comes from, and as whom this process connects (ADR 0072).

- ``DATABASE_URL``: the owner, for ``frontdesk migrate`` and schema changes; the service
  roles' URLs are derived from it unless given.
- ``FRONTDESK_API_DATABASE_URL`` / ``FRONTDESK_WORKER_DATABASE_URL``: the service roles'
  own connections, for ``serve`` and ``worker`` without the owner.
- neither: the embedded server under the data dir, whose owner URL this process knows (it
  holds the data directory).
"""

from __future__ import annotations

from adapters.postgres.database import DatabaseRoles
from adapters.postgres.embedded import EmbeddedPostgres
from entrypoints.settings import Settings

_embedded: list[EmbeddedPostgres] = []


def connect_database(settings: Settings) -> DatabaseRoles:
    """The roles these settings give (starting the embedded server when they name no
    database). Nothing is migrated here: ``frontdesk migrate`` does it (``cli.boot``)."""
    owner_url = settings.database_url
    if settings.embedded:
        if not _embedded:
            _embedded.append(EmbeddedPostgres(settings.data_dir))
        owner_url = _embedded[0].url(settings.database_name)
    if owner_url is not None:
        derived = DatabaseRoles.from_owner(owner_url, settings.app_db_password,
                                           settings.worker_db_password)
        return DatabaseRoles(app_url=settings.api_database_url or derived.app_url,
                             worker=settings.worker_database_url or derived.worker,
                             owner=owner_url)
    assert settings.api_database_url is not None  # settings.embedded otherwise
    return DatabaseRoles(app_url=settings.api_database_url,
                         worker=settings.worker_database_url)
