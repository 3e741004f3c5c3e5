"""Ports the contact center's processes need: routing snapshots and due work from the
supervisor read model, users from the identity directory, recorded history for simulations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.contact_center import AgentState, QueueRouting, WaitingTask


@dataclass(frozen=True, slots=True)
class RoutingSnapshot:
    """A tenant's agents, waiting tasks and queues as the read model has them now."""

    agents: list[AgentState]
    tasks: list[WaitingTask]
    queues: dict[UUID, QueueRouting] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DueWork:
    tenant_id: UUID
    task_id: UUID
    reservation_id: UUID | None = None


class RoutingQueries(Protocol):
    def snapshot(self, tenant_id: UUID, *, per_queue: int) -> RoutingSnapshot:
        """Available agents, and up to ``per_queue`` waiting tasks of each queue in service
        order (none at all when no agent has a free slot)."""
        ...

    def tenants_to_route(self) -> list[UUID]:
        """Tenants with waiting tasks and an available agent (across tenants)."""
        ...

    def expired_reservations(self, now: datetime, tenant_id: UUID | None,
                             limit: int) -> list[DueWork]: ...

    def hold_breaches(self, now: datetime, tenant_id: UUID | None,
                      limit: int) -> list[DueWork]: ...

    def due_tasks(self, now: datetime, tenant_id: UUID | None, limit: int) -> list[DueWork]: ...


class UserDirectory(Protocol):
    def is_user(self, tenant_id: UUID, user_id: UUID) -> bool: ...
