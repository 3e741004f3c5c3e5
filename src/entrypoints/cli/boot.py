"""What every ``frontdesk`` command starts from: the container (logging configured), a database
at the code's schema, and the console the commands print to.

Who migrates (ADR 0072): ``frontdesk migrate``, with the owner's ``DATABASE_URL``, as a release
step. ``serve`` and ``worker`` do not, except in development with owner credentials at hand
(the embedded server, or ``DATABASE_URL``): then they migrate first, through connections they
close, and drop the owner before they build anything else. The read-only commands never
migrate; on a database behind the code they refuse and change nothing. The other operator
commands (tenants, imports, keys, rebuilds) migrate when they hold the owner.
"""

from __future__ import annotations

from dependency_injector import providers
from rich.console import Console

from adapters.postgres.migrate import SchemaBehind, migrate, require_current_schema
from entrypoints.container import Container
from entrypoints.logging import configure_logging

console = Console()


def build_container() -> Container:
    container = Container()
    configure_logging(container.settings().log_level)
    container.tracing()  # before the first connection: those opened earlier are not traced
    return container


def migrate_database(container: Container) -> None:
    """As the owner: schema to head, the service roles' passwords, the projections' tables and
    tracking rows; stale projections rebuilt in development, named otherwise."""
    migrate(container.database())
    stale = container.projection_manager().ensure()
    for name in stale:
        if container.settings().env == "development":
            console.print(f"[yellow]projection {name} changed version: rebuilding[/yellow]")
            container.projection_manager().rebuild(name)
        else:
            console.print(f"[red]projection {name} needs `frontdesk projections rebuild "
                          f"{name}`[/red]")


def require_current_database(container: Container) -> None:
    """Refuse (SchemaBehind) a database that is not at this code's schema, or lacks a
    projection's tables; change nothing. A projection whose version changed is named."""
    require_current_schema(container.database())
    for status in container.projection_manager().status():
        if status.kind != "projection":
            continue
        if status.stored_version is None:
            raise SchemaBehind(f"projection {status.name} has no tables yet: run `frontdesk "
                               "migrate` with the owner's DATABASE_URL first; nothing was "
                               "changed")
        if status.stored_version != status.code_version:
            console.print(f"[red]projection {status.name} needs `frontdesk projections "
                          f"rebuild {status.name}`[/red]")


def prepare_database(container: Container) -> None:
    """An operator command that may write: migrate when it holds the owner, else require a
    current database."""
    if container.database().owner is not None:
        migrate_database(container)
    else:
        require_current_database(container)


def prepare_service(container: Container) -> None:
    """``serve`` and ``worker``: in development with owner credentials, migrate first, then
    forget the owner (its connections are closed; nothing built afterwards can reach it);
    otherwise require a current database."""
    roles = container.database()
    if roles.owner is not None and container.settings().env == "development":
        migrate_database(container)
        container.database.override(providers.Object(roles.without_owner()))
        container.projection_manager.reset()
    else:
        require_current_database(container)
