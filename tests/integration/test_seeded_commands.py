"""A command seeded with an aggregate the caller loaded earlier (CommandBus.execute(seeds=...),
ADR 0026) on the real event store: taken as current when it is, run again from the store when
it is not, so the outcome is always the one an unseeded command would have."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from application.ports import CommandContext, UnitOfWork
from domain.contacts import Contact
from domain.shared import Email, RuleViolated

T0 = datetime(2026, 5, 1, tzinfo=UTC)


class GrantSms:
    """Grants SMS consent to a contact named Ana (a rule a stale state can break)."""

    def __init__(self, contact_id: UUID) -> None:
        self.contact_id = contact_id
        self.seen: list[Contact] = []

    def __call__(self, command: None, uow: UnitOfWork, ctx: CommandContext) -> tuple[str, int]:
        contact = uow.get(Contact, self.contact_id)
        self.seen.append(contact)
        if contact.name != "Ana":
            raise RuleViolated("only Ana")
        contact.change_consent(actor=ctx.actor, at=T0, channel="sms", granted=True, reason="r")
        uow.add(contact)
        return contact.name, contact.version


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
    handler = GrantSms(seed.id)
    done = container.bus().execute(handler, None, ctx, seeds=(seed,))
    assert done.result == ("Ana", 2)
    assert handler.seen == [seed] and handler.seen[0] is seed  # one attempt, nothing loaded
    assert container.unit_of_work()(ctx.tenant_id).get(Contact, seed.id).consents == {
        "sms": True}


def test_a_stale_seed_is_run_again_from_the_store(container: Any) -> None:
    ctx = CommandContext(tenant_id=uuid4(), actor="t")
    seed = registered(container, ctx, "Ana")
    rename(container, ctx, seed.id, "Ana Ruiz")  # recorded after the seed was loaded
    rename(container, ctx, seed.id, "Ana")
    handler = GrantSms(seed.id)
    done = container.bus().execute(handler, None, ctx, seeds=(seed,))
    assert done.result == ("Ana", 4)  # appended after the writes the seed did not know
    assert len(handler.seen) == 2 and handler.seen[1] is not seed
    assert container.unit_of_work()(ctx.tenant_id).get(Contact, seed.id).version == 4


def test_a_rule_broken_only_by_a_stale_seed_is_decided_again_from_the_store(
        container: Any) -> None:
    ctx = CommandContext(tenant_id=uuid4(), actor="t")
    seed = registered(container, ctx, "Bo")
    rename(container, ctx, seed.id, "Ana")
    handler = GrantSms(seed.id)
    done = container.bus().execute(handler, None, ctx, seeds=(seed,))
    assert done.result == ("Ana", 3)
    assert [c.name for c in handler.seen] == ["Bo", "Ana"]
