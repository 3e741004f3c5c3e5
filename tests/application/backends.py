"""The application as the composition root wires it, on either backend: one CommandBus with
every context's handlers (merged as the container merges them), a manual clock, the stateful
fakes for vendors and read models, and the in-memory or the PostgreSQL unit of work.

Tests read outcomes back through the same port on both backends: aggregates through a fresh
unit of work, claims through ``owners_of``, and the events the commit stored (decoded from
PostgreSQL as a projection would read them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

from adapters.clock import ManualClock
from adapters.phones import LibPhoneNormaliser
from application.bus import CommandBus, Executed, Handler, merge_handlers
from application.cases.handlers import command_handlers as case_handlers
from application.contact_center.handlers import command_handlers as contact_center_handlers
from application.contacts import command_handlers as contact_handlers
from application.conversations.handlers import command_handlers as conversation_handlers
from application.knowledge.handlers import COMMAND_HANDLERS as KNOWLEDGE_HANDLERS
from application.leads import command_handlers as lead_handlers
from application.ports import CommandContext, IdempotencyStore, UnitOfWorkFactory
from domain.shared.aggregate import Claim, TenantAggregate
from tests.application.collaborators import (
    FakeAssistantSettings,
    FakeContactCenterReadModel,
    FakeUserDirectory,
)
from tests.fakes import InMemoryEventStore
from tests.payments_fakes import FakePaymentGateway

A = TypeVar("A", bound=TenantAggregate)


class EventLog(Protocol):
    def of(self, tenant_id: UUID, aggregate_id: UUID) -> list[Any]:
        """The stored events of one aggregate, in version order."""
        ...

    def all(self, tenant_id: UUID) -> list[Any]:
        """The tenant's stored events in commit order."""
        ...


class MemoryLog:
    def __init__(self, store: InMemoryEventStore) -> None:
        self.store = store

    def of(self, tenant_id: UUID, aggregate_id: UUID) -> list[Any]:
        if self.store.tenant_of.get(aggregate_id) != tenant_id:
            return []
        return list(self.store.events[aggregate_id])

    def all(self, tenant_id: UUID) -> list[Any]:
        return [e for e in self.store.log if e.tenant_id == tenant_id]


class PostgresLog:
    """The events table, decoded by the store's own mapper (personal fields decrypted)."""

    def __init__(self, container: Any) -> None:
        self.container = container

    def of(self, tenant_id: UUID, aggregate_id: UUID) -> list[Any]:
        store = self.container.event_store()
        return [store.mapper.to_domain_event(stored)
                for stored in store.recorder.select_aggregate(tenant_id, aggregate_id)]

    def all(self, tenant_id: UUID) -> list[Any]:
        with self.container.worker_pool().connection() as conn:
            rows = conn.execute(
                "SELECT originator_id, originator_version FROM events WHERE tenant_id = %s "
                "ORDER BY tx_id, notification_id", (tenant_id,)).fetchall()
        streams = {r["originator_id"]: self.of(tenant_id, r["originator_id"]) for r in rows}
        return [streams[r["originator_id"]][r["originator_version"] - 1] for r in rows]


class App:
    """One tenant's view of the application: ``run`` a command as the HTTP layer would (through
    the bus, at the manual clock's time), then read what it stored."""

    def __init__(self, backend: str, uows: UnitOfWorkFactory, idempotency: IdempotencyStore,
                 log: EventLog, clock: ManualClock) -> None:
        self.backend = backend
        self.uows, self.idempotency, self.log, self.clock = uows, idempotency, log, clock
        self.ctx = CommandContext(tenant_id=uuid4(), actor=f"user:{uuid4()}")
        self.phones = LibPhoneNormaliser()
        self.gateway = FakePaymentGateway()
        self.settings = FakeAssistantSettings()
        self.users = FakeUserDirectory()
        self.read_model = FakeContactCenterReadModel()
        self.handlers = merge_handlers(
            lead_handlers(self.phones), contact_handlers(self.phones),
            case_handlers(self.gateway), conversation_handlers(self.settings, self.phones),
            contact_center_handlers(self.users, self.read_model, self.read_model,
                                    self.read_model),
            KNOWLEDGE_HANDLERS)
        self.bus = self.bus_with()

    @property
    def tenant_id(self) -> UUID:
        return self.ctx.tenant_id

    def bus_with(self, handlers: dict[type[Any], Handler[Any, Any]] | None = None
                 ) -> CommandBus:
        """A bus on the same store and clock, some handlers replaced (to stage a race)."""
        return CommandBus(self.uows, self.idempotency, self.clock,
                          handlers={**self.handlers, **(handlers or {})})

    def context(self, actor: str | None = None, tenant_id: UUID | None = None
                ) -> CommandContext:
        return CommandContext(tenant_id=tenant_id or self.tenant_id,
                              actor=actor or self.ctx.actor)

    def run(self, command: Any, ctx: CommandContext | None = None,
            bus: CommandBus | None = None) -> Any:
        outcome = (bus or self.bus).execute(command, ctx or self.ctx)
        assert isinstance(outcome, Executed)
        return outcome.result

    # -- reading back ---------------------------------------------------------------------

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        return self.uows(self.tenant_id).get(cls, aggregate_id)

    def save(self, *aggregates: TenantAggregate) -> str:
        """Commit aggregates made by hand (setting a scene the commands would take long to)."""
        uow = self.uows(self.tenant_id)
        for aggregate in aggregates:
            uow.add(aggregate)
        return uow.commit()

    def owners(self, claims: Iterable[Claim]) -> dict[Claim, UUID]:
        return self.uows(self.tenant_id).owners_of(list(claims))

    def events(self, aggregate_id: UUID) -> list[Any]:
        return self.log.of(self.tenant_id, aggregate_id)

    def types(self, aggregate_id: UUID) -> list[str]:
        return [type(e).__name__ for e in self.events(aggregate_id)]

    def all_events(self) -> list[Any]:
        return self.log.all(self.tenant_id)

    def all_of(self, cls: type | Sequence[type]) -> list[Any]:
        classes = tuple(cls) if isinstance(cls, Sequence) else (cls,)
        return [e for e in self.all_events() if isinstance(e, classes)]
