"""Stateful fakes of the collaborators the handlers hold besides the unit of work: the tenant's
assistant settings, the user directory, and the contact center's read-model queries (routing
snapshots, due work, default queues, the task of a source; one adapter serves them all in the
container, one fake here). Tests set what the real source would hold; nothing records calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from application.contact_center.ports import DueWork, RoutingSnapshot
from domain.conversations import AssistantSettings


class FakeAssistantSettings:
    """Every tenant's settings are ``value`` (defaults until a test sets others)."""

    def __init__(self) -> None:
        self.value = AssistantSettings()

    def for_tenant(self, tenant_id: UUID) -> AssistantSettings:
        return self.value


class FakeUserDirectory:
    def __init__(self) -> None:
        self.users: set[tuple[UUID, UUID]] = set()

    def is_user(self, tenant_id: UUID, user_id: UUID) -> bool:
        return (tenant_id, user_id) in self.users


Snapshot = Callable[[UUID, int], RoutingSnapshot]


class FakeContactCenterReadModel:
    """What the supervisor read model would answer. Routing sees nobody (an empty snapshot)
    until a test gives it a ``snapshot`` function; due work, default queues and the tasks of
    sources are what the test put in."""

    def __init__(self) -> None:
        self.snapshots: Snapshot | None = None
        self.tenants: list[UUID] = []
        self.expired: list[DueWork] = []
        self.breaches: list[DueWork] = []
        self.due: list[DueWork] = []
        self.default_queues: dict[str, UUID | None] = {}
        self.source_tasks: dict[tuple[str, str], UUID] = {}

    # -- RoutingQueries -------------------------------------------------------------------

    def snapshot(self, tenant_id: UUID, *, per_queue: int) -> RoutingSnapshot:
        if self.snapshots is None:
            return RoutingSnapshot([], [])
        return self.snapshots(tenant_id, per_queue)

    def tenants_to_route(self) -> list[UUID]:
        return list(self.tenants)

    def expired_reservations(self, now: datetime, tenant_id: UUID | None,
                             limit: int) -> list[DueWork]:
        return self.expired[:limit]

    def hold_breaches(self, now: datetime, tenant_id: UUID | None,
                      limit: int) -> list[DueWork]:
        return self.breaches[:limit]

    def due_tasks(self, now: datetime, tenant_id: UUID | None, limit: int) -> list[DueWork]:
        return self.due[:limit]

    # -- DefaultQueues, SourceTasks -------------------------------------------------------

    def default_queue(self, tenant_id: UUID, kind: str) -> UUID | None:
        return self.default_queues.get(kind)

    def task_for_source(self, tenant_id: UUID, kind: str, ref: str) -> UUID | None:
        return self.source_tasks.get((kind, ref))
