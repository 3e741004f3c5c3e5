"""A command seeded with an aggregate the caller loaded earlier (CommandBus.execute(seeds=...),
ADR 0026) on the real event store: taken as current when it is, run again from the store when
it is not, so the outcome is always the one an unseeded command would have."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from adapters.clock import SystemClock
from application.bus import CommandBus, Executed
from application.ports import CommandContext, UnitOfWork
from domain.contacts import Contact
from domain.shared import Email, RuleViolated

T0 = datetime(2026, 5, 1, tzinfo=UTC)


@dataclass(frozen=True)
class GrantSmsToAna:
    contact_id: UUID


class GrantSms:
    """Grants SMS consent to a contact named Ana (a rule a stale state can break)."""

    def __init__(self) -> None:
        self.seen: list[Contact] = []

    def __call__(self, command: GrantSmsToAna, uow: UnitOfWork,
                 ctx: CommandContext) -> tuple[str, int]:
        contact = uow.get(Contact, command.contact_id)
        self.seen.append(contact)
        if contact.name != "Ana":
            raise RuleViolated("only Ana")
        contact.change_consent(actor=ctx.actor, at=T0, channel="sms", granted=True, reason="r")
        uow.add(contact)
        return contact.name, contact.version


def grant(container: Any, handler: GrantSms, ctx: CommandContext,
          seed: Contact) -> Executed[tuple[str, int]]:
    """The test's handler on the real unit of work and event store."""
    bus = CommandBus(container.unit_of_work(), container.event_store(), SystemClock(),
                     handlers={GrantSmsToAna: handler})
    done = bus.execute(GrantSmsToAna(seed.id), ctx, seeds=(seed,))
    assert isinstance(done, Executed)
    return done


def registered(container: Any, ctx: CommandContext, name: str) -> Contact:
    contact = Contact.register(contact_id=uuid4(), tenant_id=ctx.tenant_id, actor="t", at=T0,
                               name=name, email=Email(f"{uuid4().hex}@example.com"), phone=None)
    uow = container.unit_of_work()(ctx.tenant_id)
    uow.add(contact)
    uow.commit()
    return container.unit_of_work()(ctx.tenant_id).get(Contact, contact.id)


def rename(container: Any, ctx: CommandContext, contact_id: UUID, name: str) -> None:
    uow = container.unit_of_work()(ctx.tenant_id)
    contact = uow.get(Contact, contact_id)
    contact.change_details(actor="t", at=T0, name=name, email=None, phone=None)
    uow.add(contact)
    uow.commit()


def test_a_current_seed_is_used_as_is(container: Any) -> None:
    ctx = CommandContext(tenant_id=uuid4(), actor="t")
    seed = registered(container, ctx, "Ana")
    handler = GrantSms()
    done = grant(container, handler, ctx, seed)
    assert done.result == ("Ana", 2)
    assert handler.seen == [seed] and handler.seen[0] is seed  # one attempt, nothing loaded
    assert container.unit_of_work()(ctx.tenant_id).get(Contact, seed.id).consents == {
        "sms": True}


def test_a_stale_seed_is_run_again_from_the_store(container: Any) -> None:
    ctx = CommandContext(tenant_id=uuid4(), actor="t")
    seed = registered(container, ctx, "Ana")
    rename(container, ctx, seed.id, "Ana Ruiz")  # recorded after the seed was loaded
    rename(container, ctx, seed.id, "Ana")
    handler = GrantSms()
    done = grant(container, handler, ctx, seed)
    assert done.result == ("Ana", 4)  # appended after the writes the seed did not know
    assert len(handler.seen) == 2 and handler.seen[1] is not seed
    assert container.unit_of_work()(ctx.tenant_id).get(Contact, seed.id).version == 4


def test_a_rule_broken_only_by_a_stale_seed_is_decided_again_from_the_store(
        container: Any) -> None:
    ctx = CommandContext(tenant_id=uuid4(), actor="t")
    seed = registered(container, ctx, "Bo")
    rename(container, ctx, seed.id, "Ana")
    handler = GrantSms()
    done = grant(container, handler, ctx, seed)
    assert done.result == ("Ana", 3)
    assert [c.name for c in handler.seen] == ["Bo", "Ana"]
