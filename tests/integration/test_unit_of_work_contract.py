"""One contract, two implementations: the in-memory fake used by application tests and the
PostgreSQL unit of work must behave the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.ports import (
    ClaimTaken,
    ConcurrentWrite,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    StoredResponse,
    UnitOfWork,
)
from domain.contacts import Contact
from domain.shared import Claim, Email, NotFound
from tests.fakes import InMemoryEventStore, InMemoryUnitOfWorkFactory

T0 = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "postgres"])
def factory(request: pytest.FixtureRequest) -> tuple[Callable[[UUID], UnitOfWork], Any]:
    if request.param == "memory":
        store = InMemoryEventStore()
        return InMemoryUnitOfWorkFactory(store), store
    container = request.getfixturevalue("container")
    return container.unit_of_work(), container.event_store()


def contact(tenant: UUID, email: str) -> Contact:
    return Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0, name="N",
                            email=Email(email), phone=None)


def test_committed_aggregates_load_back(factory: Any) -> None:
    make, _ = factory
    tenant = uuid4()
    uow = make(tenant)
    created = contact(tenant, "a@example.com")
    uow.add(created)
    position = uow.commit()
    assert int(position) > 0
    loaded = make(tenant).get(Contact, created.id)
    assert (loaded.name, loaded.email, loaded.version) == ("N", "a@example.com", 1)


def test_another_tenant_gets_not_found(factory: Any) -> None:
    make, _ = factory
    tenant = uuid4()
    uow = make(tenant)
    created = contact(tenant, "a@example.com")
    uow.add(created)
    uow.commit()
    with pytest.raises(NotFound):
        make(uuid4()).get(Contact, created.id)
    with pytest.raises(NotFound):
        make(tenant).get(Contact, uuid4())


def test_a_stale_write_is_refused_and_writes_nothing(factory: Any) -> None:
    make, _ = factory
    tenant = uuid4()
    uow = make(tenant)
    created = contact(tenant, "a@example.com")
    uow.add(created)
    uow.commit()
    first, second = make(tenant), make(tenant)
    a, b = first.get(Contact, created.id), second.get(Contact, created.id)
    a.change_consent(actor="t", at=T0, channel="sms", granted=True, reason="x")
    b.change_consent(actor="t", at=T0, channel="email", granted=True, reason="y")
    first.add(a)
    first.commit()
    second.add(b)
    with pytest.raises(ConcurrentWrite):
        second.commit()
    assert make(tenant).get(Contact, created.id).consents == {"sms": True}


def test_claims_are_unique_per_tenant_and_move_with_the_aggregate(factory: Any) -> None:
    make, _ = factory
    tenant = uuid4()
    uow = make(tenant)
    first = contact(tenant, "a@example.com")
    uow.add(first)
    uow.commit()
    claim = Claim("contact_email", "a@example.com")
    assert make(tenant).owners_of([claim]) == {claim: first.id}
    assert make(uuid4()).owners_of([claim]) == {}
    rival = make(tenant)
    rival.add(contact(tenant, "a@example.com"))
    with pytest.raises(ClaimTaken) as taken:
        rival.commit()
    assert taken.value.claim == claim
    mover = make(tenant)
    loaded = mover.get(Contact, first.id)
    loaded.change_details(actor="t", at=T0, name=None, email=Email("b@example.com"), phone=None)
    mover.add(loaded)
    assert mover.owners_of([claim]) == {}  # released by a staged change
    mover.commit()
    assert make(tenant).owners_of([claim]) == {}
    assert make(tenant).owners_of([Claim("contact_email", "b@example.com")]) == {
        Claim("contact_email", "b@example.com"): first.id}


def test_idempotency_records_commit_with_the_events_and_are_unique(factory: Any) -> None:
    make, store = factory
    tenant = uuid4()
    record = IdempotencyRecord("key-1", "fp", StoredResponse(201, b"{}", {"ETag": '"1"'}))
    uow = make(tenant)
    uow.add(contact(tenant, "a@example.com"))
    position = uow.commit(record)
    fingerprint, response, stored_position = store.find(tenant, "key-1")
    assert (fingerprint, response.status, response.body) == ("fp", 201, b"{}")
    assert stored_position == position
    again = make(tenant)
    again.add(contact(tenant, "c@example.com"))
    with pytest.raises(IdempotencyKeyTaken):
        again.commit(record)
    assert make(tenant).owners_of([Claim("contact_email", "c@example.com")]) == {}
    assert store.find(uuid4(), "key-1") is None


def test_an_empty_unit_of_work_writes_nothing(factory: Any) -> None:
    make, _ = factory
    assert make(uuid4()).commit() == "0"


def test_a_speculative_unit_assumes_unknown_claims_free_and_the_commit_checks(
        factory: Any) -> None:
    make, _ = factory
    tenant = uuid4()
    first = make(tenant)
    held = contact(tenant, "held@example.com")
    first.add(held)
    first.commit()
    claim = Claim("contact_email", "held@example.com")
    guess = make(tenant, speculative=True)
    assert guess.owners_of([claim]) == {}  # no lookup: assumed free
    guess.add(contact(tenant, "other@example.com"))  # does not take the claim it checked
    with pytest.raises(ClaimTaken) as taken:
        guess.commit()  # ... and the commit finds the assumption wrong
    assert taken.value.claim == claim
    assert make(tenant).owners_of([Claim("contact_email", "other@example.com")]) == {}
    right = make(tenant, speculative=True)
    assert right.owners_of([Claim("contact_email", "free@example.com")]) == {}
    right.add(contact(tenant, "new@example.com"))
    assert int(right.commit()) > 0  # a right guess commits in one go


def test_a_speculative_unit_knows_the_claims_of_what_it_loaded(factory: Any) -> None:
    make, _ = factory
    tenant = uuid4()
    setup = make(tenant)
    held = contact(tenant, "mine@example.com")
    setup.add(held)
    setup.commit()
    uow = make(tenant, speculative=True)
    loaded = uow.get(Contact, held.id)
    claim = Claim("contact_email", "mine@example.com")
    assert uow.owners_of([claim]) == {claim: loaded.id}


def test_a_seeded_aggregate_is_taken_as_current_and_the_commit_verifies_it(
        factory: Any) -> None:
    """UnitOfWork.seed: an aggregate loaded earlier in the request is not loaded again; a
    change made to it commits if nothing was recorded since, and is refused (nothing
    written) if something was."""
    make, _ = factory
    tenant = uuid4()
    setup = make(tenant)
    created = contact(tenant, "a@example.com")
    setup.add(created)
    setup.commit()
    current = make(tenant).get(Contact, created.id)
    uow = make(tenant)
    uow.seed(current)
    assert uow.get(Contact, created.id) is current
    current.change_details(actor="t", at=T0, name="Ana", email=None, phone=None)
    uow.add(current)
    uow.commit()
    stale = make(tenant).get(Contact, created.id)
    meanwhile = make(tenant)
    changed = meanwhile.get(Contact, created.id)
    changed.change_consent(actor="t", at=T0, channel="sms", granted=True, reason="x")
    meanwhile.add(changed)
    meanwhile.commit()
    late = make(tenant)
    late.seed(stale)
    taken = late.get(Contact, created.id)
    assert (taken.version, taken.consents) == (2, {})  # as it was loaded: no read
    taken.change_consent(actor="t", at=T0, channel="email", granted=True, reason="y")
    late.add(taken)
    with pytest.raises(ConcurrentWrite):
        late.commit()
    reloaded = make(tenant).get(Contact, created.id)
    assert (reloaded.name, reloaded.consents, reloaded.version) == ("Ana", {"sms": True}, 3)
    with pytest.raises(RuntimeError):
        make(uuid4()).seed(reloaded)  # another tenant's
    reloaded.change_consent(actor="t", at=T0, channel="email", granted=True, reason="y")
    with pytest.raises(RuntimeError):
        make(tenant).seed(reloaded)  # changed since it was loaded
