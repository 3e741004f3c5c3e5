"""The event store on PostgreSQL: personal data encrypted at rest, crypto-shredding reads,
group commit that isolates a failing unit, and positions."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from adapters.eventstore.recorder import CommitUnit
from application.ports import ConcurrentWrite
from domain.contacts import Contact
from domain.leads import Lead
from domain.shared import Email, PhoneNumber, Score, Slug

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def owner(container: Any) -> Any:
    return psycopg.connect(container.database().owner_url, autocommit=True)


def test_personal_fields_are_encrypted_at_rest(container: Any) -> None:
    tenant = uuid4()
    marker = f"Zyx{uuid4().hex[:12]}"
    person = Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                              name=f"{marker} Name", email=Email(f"{marker}@example.com"),
                              phone=PhoneNumber("+34612345678"))
    lead = Lead.capture(lead_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                        contact_id=person.id, source=Slug("web"), campaign=None,
                        channel=Slug("web"), notes=f"{marker} wants whitening")
    uow = container.unit_of_work()(tenant)
    uow.add(person)
    uow.add(lead)
    uow.commit()
    with owner(container) as conn:
        rows = conn.execute("SELECT state, subject_id FROM events WHERE originator_id = ANY(%s)",
                            ([person.id, lead.id],)).fetchall()
        claims = conn.execute("SELECT key_hash FROM claims WHERE tenant_id = %s",
                              (tenant,)).fetchall()
    assert len(rows) == 2
    for state, subject in rows:
        assert marker.encode() not in bytes(state)
        assert b"+34612345678" not in bytes(state)
        assert subject == person.id
    assert all(marker.encode() not in bytes(k) for (k,) in claims)
    history = container.event_store().of(tenant, lead.id)
    assert history[0].data["notes"] == f"{marker} wants whitening"


def test_a_destroyed_key_reads_erased_and_replay_still_works(container: Any) -> None:
    tenant = uuid4()
    person = Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                              name="Forget Me", email=Email("forget@example.com"), phone=None)
    lead = Lead.capture(lead_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                        contact_id=person.id, source=Slug("web"), campaign=None,
                        channel=Slug("web"), notes="private")
    lead.rescore(actor="t", at=T0, score=Score(40),
                 reasons=["private reason"])
    uow = container.unit_of_work()(tenant)
    uow.add(person)
    uow.add(lead)
    uow.commit()
    with owner(container) as conn:
        conn.execute("UPDATE data_keys SET wrapped_key = NULL, destroyed_at = now() "
                     "WHERE subject_id = %s", (person.id,))
    container.data_keys().forget(person.id)
    loaded = container.unit_of_work()(tenant).get(Lead, lead.id)
    assert loaded.version == 2 and loaded.score == 40  # non-personal facts survive
    history = container.event_store().of(tenant, lead.id)
    assert history[0].data["notes"] == "[erased]"
    assert history[1].data["reasons"] == ["[erased]"]
    contact = container.unit_of_work()(tenant).get(Contact, person.id)
    assert contact.email == "[erased]"


def test_group_commit_rejects_only_the_conflicting_unit(container: Any) -> None:
    tenant = uuid4()
    store = container.event_store()
    existing = Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                                name=None, email=Email("g@example.com"), phone=None)
    uow = container.unit_of_work()(tenant)
    uow.add(existing)
    uow.commit()

    def unit_for(aggregate: Any) -> CommitUnit:
        unit = CommitUnit(tenant_id=tenant, events=[])
        for event in aggregate.collect_events():
            stored, key = store.mapper.to_stored_event_for(event, tenant, aggregate.subject_id,
                                                           {})
            unit.events.append(stored)
            if key:
                unit.new_keys.append(key)
        return unit

    good = [Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                             name=None, email=Email(f"ok{n}@example.com"), phone=None)
            for n in range(3)]
    clash = container.unit_of_work()(tenant).get(Contact, existing.id)
    clash.change_consent(actor="t", at=T0, channel="sms", granted=True, reason="x")
    stale = unit_for(clash)
    stale.events[0] = type(stale.events[0])(**{**vars(stale.events[0]), "originator_version": 1})
    units = [unit_for(good[0]), stale, unit_for(good[1]), unit_for(good[2])]
    store.recorder.write_batch(units)
    assert isinstance(units[1].error, ConcurrentWrite)
    assert units[1].position is None
    assert [u.error for u in (units[0], units[2], units[3])] == [None, None, None]
    for contact in good:
        assert container.unit_of_work()(tenant).get(Contact, contact.id).version == 1
    assert container.unit_of_work()(tenant).get(Contact, existing.id).version == 1


def test_a_batch_without_conflicts_is_one_transaction(container: Any) -> None:
    tenant = uuid4()
    store = container.event_store()
    units = []
    for n in range(3):
        person = Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                                  name=None, email=Email(f"one{n}@example.com"), phone=None)
        unit = CommitUnit(tenant_id=tenant, events=[])
        for event in person.collect_events():
            stored, key = store.mapper.to_stored_event_for(event, tenant, person.id, {})
            unit.events.append(stored)
            unit.new_keys.append(key)
        units.append(unit)
    store.recorder.write_batch(units)
    assert [u.error for u in units] == [None, None, None]
    assert len({u.position for u in units}) == 1


def test_concurrent_commands_share_commits(container: Any) -> None:
    tenant = uuid4()
    committer = container.committer()
    groups_before, units_before = committer.groups, committer.units
    barrier = threading.Barrier(16)

    def register(n: int) -> None:
        uow = container.unit_of_work()(tenant)
        uow.add(Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                                 name=None, email=Email(f"c{n}@example.com"), phone=None))
        barrier.wait()
        uow.commit()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    units = committer.units - units_before
    groups = committer.groups - groups_before
    assert units >= 16
    assert groups < units  # at least one commit carried several commands


def test_positions_increase_with_commits(container: Any) -> None:
    tenant = uuid4()
    positions = []
    for n in range(3):
        uow = container.unit_of_work()(tenant)
        uow.add(Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                                 name=None, email=Email(f"p{n}@example.com"), phone=None))
        positions.append(int(uow.commit()))
    assert positions == sorted(positions) and len(set(positions)) == 3


def test_a_stale_unit_in_a_single_commit_raises(container: Any) -> None:
    tenant = uuid4()
    person = Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                              name=None, email=Email("s@example.com"), phone=None)
    first = container.unit_of_work()(tenant)
    first.add(person)
    first.commit()
    twin = Contact.register(contact_id=person.id, tenant_id=tenant, actor="t", at=T0,
                            name=None, email=Email("s2@example.com"), phone=None)
    second = container.unit_of_work()(tenant)
    second.add(twin)
    with pytest.raises(ConcurrentWrite):
        second.commit()
