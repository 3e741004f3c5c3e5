"""The command bus finds a command's one handler by the command's type and gives every attempt
its own moment, read once from the clock (ADR 0066)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from adapters.clock import ManualClock
from application.bus import CommandBus, Executed, NoHandler, merge_handlers
from application.ports import CommandContext, UnitOfWork
from domain.contacts import Contact
from domain.shared import Claim, Conflict, Email
from tests.fakes import InMemoryEventStore, InMemoryUnitOfWorkFactory

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Register:
    email: str


@dataclass(frozen=True)
class Other:
    pass


class CountingClock(ManualClock):
    """Moves a second each time it is read, and counts the reads."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.reads = 0

    def now(self) -> datetime:
        self.reads += 1
        return self.advance(timedelta(seconds=1))


def register(command: Register, uow: UnitOfWork, ctx: CommandContext) -> tuple[UUID, datetime]:
    contact = Contact.register(contact_id=uuid4(), tenant_id=ctx.tenant_id, actor=ctx.actor,
                               at=ctx.now, name=None, email=Email(command.email), phone=None)
    uow.owners_of([Claim("contact_email", command.email)])
    uow.add(contact)
    return contact.id, ctx.now


def bus_with(clock: ManualClock, store: InMemoryEventStore | None = None) -> CommandBus:
    store = store or InMemoryEventStore()
    return CommandBus(InMemoryUnitOfWorkFactory(store), store, clock,
                      handlers={Register: register})


def test_a_command_reaches_the_handler_registered_for_its_type_at_the_clocks_moment() -> None:
    clock = CountingClock(T0)
    done = bus_with(clock).execute(Register("ana@example.com"), CommandContext(uuid4(), "t"))
    assert isinstance(done, Executed)
    contact_id, moment = done.result
    assert moment == T0 + timedelta(seconds=1) and clock.reads == 1
    assert isinstance(contact_id, UUID)


def test_each_attempt_reads_the_clock_once_and_decides_at_its_own_moment() -> None:
    store = InMemoryEventStore()
    clock = CountingClock(T0)
    tenant = uuid4()
    first = bus_with(clock, store)
    first.execute(Register("bo@example.com"), CommandContext(tenant, "t"))
    # The same email again: the speculative first attempt assumes the claim free and loses it
    # at commit, the second looks it up, decides again (a conflict) at a later moment.
    attempts: list[datetime] = []

    def spy(command: Register, uow: UnitOfWork, ctx: CommandContext) -> tuple[UUID, datetime]:
        attempts.append(ctx.now)
        return register(command, uow, ctx)

    retried = CommandBus(InMemoryUnitOfWorkFactory(store), store, clock,
                         handlers={Register: spy})
    reads_before = clock.reads
    with pytest.raises(Conflict, match="contact_email"):
        retried.execute(Register("bo@example.com"), CommandContext(tenant, "t"))
    assert len(attempts) == clock.reads - reads_before >= 2
    assert attempts == sorted(set(attempts))  # one moment per attempt, each later


def test_a_command_nobody_registered_is_a_wiring_error_not_a_client_error() -> None:
    with pytest.raises(NoHandler, match="Other"):
        bus_with(ManualClock(T0)).execute(Other(), CommandContext(uuid4(), "t"))


def test_a_command_type_registered_twice_is_refused_when_the_contexts_are_merged() -> None:
    merged = merge_handlers({Register: register}, {Other: register})
    assert set(merged) == {Register, Other}
    with pytest.raises(ValueError, match="Register"):
        merge_handlers({Register: register}, {Register: register})


def test_a_handler_run_outside_the_bus_has_no_moment() -> None:
    with pytest.raises(RuntimeError, match="CommandBus"):
        _ = CommandContext(uuid4(), "t").now
