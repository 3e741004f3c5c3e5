"""Application factory for multi-process serving (``uvicorn --factory``): each worker process
builds its own composition root; projections are claimed by one of them at a time."""

from __future__ import annotations

from dependency_injector import providers
from litestar import Litestar

from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.logging import configure_logging
from entrypoints.runtime import Runtime, tune_interpreter


def create() -> Litestar:
    tune_interpreter()
    container = Container()
    settings = container.settings()
    configure_logging(settings.log_level)
    container.tracing()  # before the first connection: those opened earlier are not traced
    # `serve` migrated (in development) or checked the schema before spawning this process:
    # it never needs the owner (ADR 0072).
    container.database.override(providers.Object(container.database().without_owner()))
    runtime = Runtime(container) if settings.in_process_projections else None
    return create_app(container, runtime=runtime, settle=True)
