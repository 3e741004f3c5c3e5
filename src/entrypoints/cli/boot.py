"""What every ``frontdesk`` command starts from: the container (logging configured), a database
that is up and migrated with its projection tables, and the console the commands print to."""

from __future__ import annotations

from rich.console import Console

from entrypoints.container import Container
from entrypoints.logging import configure_logging

console = Console()


def build_container() -> Container:
    container = Container()
    configure_logging(container.settings().log_level)
    return container


def prepare_database(container: Container) -> None:
    """Database up, migrated, projection tables present; rebuild stale ones in development."""
    container.database()
    stale = container.projection_manager().ensure()
    for name in stale:
        if container.settings().env == "development":
            console.print(f"[yellow]projection {name} changed version: rebuilding[/yellow]")
            container.projection_manager().rebuild(name)
        else:
            console.print(f"[red]projection {name} needs `frontdesk projections rebuild "
                          f"{name}`[/red]")
