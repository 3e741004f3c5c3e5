"""The application suite runs every test twice: on the in-memory fake store (fast, the bulk of
the behaviour) and on PostgreSQL (the session's test database, through the composition root's
unit of work and event store), as the unit-of-work contract test does. Each test acts for a
fresh tenant, so the shared database isolates tests the way it isolates customers.

A module's ``T0`` (if it has one) is where its manual clock starts.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.clock import ManualClock
from tests.application.backends import App, MemoryLog, PostgresLog
from tests.application.center import Center
from tests.fakes import InMemoryEventStore, InMemoryUnitOfWorkFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "postgres"])
def app(request: pytest.FixtureRequest) -> App:
    clock = ManualClock(getattr(request.module, "T0", T0))
    if request.param == "memory":
        store = InMemoryEventStore()
        return App("memory", InMemoryUnitOfWorkFactory(store), store, MemoryLog(store), clock)
    container = request.getfixturevalue("container")
    return App("postgres", container.unit_of_work(), container.event_store(),
               PostgresLog(container), clock)


@pytest.fixture
def center(app: App) -> Center:
    """The app's contact center (agents, queues and tasks made through commands)."""
    return Center(app)
