"""Application layer on stateful fakes: the bulk of behaviour, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from adapters.clock import ManualClock
from adapters.phones import LibPhoneNormaliser
from application.bus import CommandBus, Executed, Idempotency, IdempotencyKeyReused, Replayed
from application.contacts import RegisterContact, RegisterContactHandler
from application.leads.actions import (
    ConvertLeadHandler,
    LoseLeadHandler,
    QualifyLeadHandler,
    ReopenLeadHandler,
    ScheduleStaleFollowUpHandler,
)
from application.leads.capture import CaptureLeadHandler
from application.leads.commands import (
    CaptureLead,
    ConvertLead,
    ImportLeads,
    LoseLead,
    QualifyLead,
    ReopenLead,
)
from application.leads.importing import ImportLeadsHandler
from application.leads.stale_policy import StaleLeadPolicy
from application.ports import CommandContext, StoredResponse
from application.projections import ContactsProjection, LeadPipelineProjection
from application.projections.memory import MemoryRows
from domain.contacts import Contact
from domain.leads import DuplicateLead, Lead
from domain.shared import Claim, Conflict, Email, InvalidValue, StaleVersion
from tests.fakes import InMemoryEventStore, InMemoryUnitOfWorkFactory

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def bus(store: InMemoryEventStore) -> CommandBus:
    return CommandBus(InMemoryUnitOfWorkFactory(store), store)


@pytest.fixture
def ctx() -> CommandContext:
    return CommandContext(tenant_id=uuid4(), actor="user:test")


@pytest.fixture
def capture(clock: ManualClock) -> CaptureLeadHandler:
    return CaptureLeadHandler(clock, LibPhoneNormaliser())


def run(bus: CommandBus, handler: object, command: object, ctx: CommandContext) -> object:
    outcome = bus.execute(handler, command, ctx)  # type: ignore[arg-type]
    assert isinstance(outcome, Executed)
    return outcome.result


def test_capture_registers_a_contact_and_a_lead(bus, capture, ctx, store) -> None:
    captured = run(bus, capture, CaptureLead(name="Ana", email="Ana@Example.com",
                                             phone="+34 612 345 678", source="web_form"), ctx)
    assert captured.contact_created and captured.lead.email == "ana@example.com"
    assert captured.lead.phone == "+34612345678"
    types = [type(e).__name__ for e in store.all_events()]
    assert types == ["ContactRegistered", "LeadCaptured"]


def test_same_email_or_phone_attaches_to_the_existing_contact(bus, capture, ctx) -> None:
    first = run(bus, capture, CaptureLead(name="Ana", email="ana@example.com",
                                          phone=None, source="web_form"), ctx)
    by_email = run(bus, capture, CaptureLead(name=None, email="ANA@example.com", phone=None,
                                             source="referral"), ctx)
    assert not by_email.contact_created
    assert by_email.lead.contact_id == first.lead.contact_id
    assert by_email.lead.name == "Ana"  # the contact's details, not the new form's


def test_a_second_open_lead_for_contact_and_source_is_a_duplicate(bus, capture, ctx) -> None:
    first = run(bus, capture, CaptureLead(name="Ana", email="ana@example.com", phone=None,
                                          source="web_form"), ctx)
    with pytest.raises(DuplicateLead) as duplicate:
        run(bus, capture, CaptureLead(name="Ana", email="ana@example.com", phone=None,
                                      source="web_form"), ctx)
    assert duplicate.value.existing_id == first.lead.id


def test_a_closed_lead_frees_its_source_for_a_new_lead(bus, capture, ctx, clock) -> None:
    first = run(bus, capture, CaptureLead(name="A", email="a@example.com", phone=None,
                                          source="web_form"), ctx)
    run(bus, LoseLeadHandler(clock), LoseLead(first.lead.id, None, "no budget"), ctx)
    again = run(bus, capture, CaptureLead(name="A", email="a@example.com", phone=None,
                                          source="web_form"), ctx)
    assert again.lead.id != first.lead.id
    with pytest.raises(DuplicateLead) as duplicate:  # reopening the first would duplicate
        run(bus, ReopenLeadHandler(clock), ReopenLead(first.lead.id, None, None), ctx)
    assert duplicate.value.existing_id == again.lead.id


def test_tenants_do_not_see_each_others_contacts(bus, capture, ctx) -> None:
    run(bus, capture, CaptureLead(name="A", email="a@example.com", phone=None,
                                  source="web_form"), ctx)
    other = CommandContext(tenant_id=uuid4(), actor="user:other")
    captured = run(bus, capture, CaptureLead(name="A", email="a@example.com", phone=None,
                                             source="web_form"), other)
    assert captured.contact_created


def test_stale_if_match_is_refused(bus, capture, ctx, clock) -> None:
    lead = run(bus, capture, CaptureLead(name="A", email="a@example.com", phone=None,
                                         source="web"), ctx).lead
    run(bus, QualifyLeadHandler(clock), QualifyLead(lead.id, 1), ctx)
    with pytest.raises(StaleVersion):
        run(bus, ConvertLeadHandler(clock), ConvertLead(lead.id, 1), ctx)


def test_a_lead_needs_an_email_or_phone(bus, capture, ctx) -> None:
    with pytest.raises(InvalidValue):
        run(bus, capture, CaptureLead(name="A", email=None, phone=None, source="web"), ctx)


def test_register_contact_refuses_a_taken_email(bus, ctx, clock) -> None:
    handler = RegisterContactHandler(clock, LibPhoneNormaliser())
    first = run(bus, handler, RegisterContact(name="A", email="a@example.com", phone=None), ctx)
    with pytest.raises(Conflict) as conflict:
        run(bus, handler, RegisterContact(name="B", email="A@example.com", phone=None), ctx)
    assert conflict.value.details["existing_id"] == str(first.id)


def test_import_reports_every_row_and_dedupes_within_the_file(bus, ctx, clock, store) -> None:
    rows = [
        {"name": "Ana", "email": "ana@example.com", "source": "fair"},
        {"name": "Bob", "phone": "+14155552671", "source": "fair"},
        {"name": "Ana again", "email": "ANA@example.com", "source": "fair"},
        {"name": "Nobody", "source": "fair"},
        {"name": "Bad phone", "phone": "12", "source": "fair"},
        {"name": "Ana other", "email": "ana@example.com", "source": "web"},
    ]
    report = run(bus, ImportLeadsHandler(clock, LibPhoneNormaliser()), ImportLeads(rows), ctx)
    assert (report.accepted, report.duplicates, report.rejected) == (3, 1, 2)
    assert [r.outcome for r in report.rows] == ["accepted", "accepted", "duplicate",
                                                "rejected", "rejected", "accepted"]
    assert report.rows[2].existing_id == report.rows[0].lead_id
    assert report.rows[0].row == 2  # line numbers count the header as line 1
    leads = [e for e in store.all_events() if isinstance(e, Lead.LeadCaptured)]
    assert len(leads) == 3


def test_a_claim_taken_concurrently_makes_the_bus_retry_and_decide_again(store, ctx) -> None:
    """A rival registers the same email between our check and our commit: the commit raises
    ClaimTaken, the bus runs the handler again, and this time it sees the winner."""
    winner = uuid4()
    attempts = []

    class RegisterUnlessTaken:
        def __call__(self, command: object, uow, ctx_: CommandContext) -> str:
            attempts.append(1)
            if uow.owners_of([Claim("contact_email", "y@example.com")]):
                return "found the winner"
            contact = Contact.register(contact_id=uuid4(), tenant_id=ctx_.tenant_id,
                                       actor="t", at=T0, name=None,
                                       email=Email("y@example.com"), phone=None)
            if len(attempts) == 1:  # the rival commits first
                store.claims[(ctx_.tenant_id, Claim("contact_email", "y@example.com"))] = winner
            uow.add(contact)
            return "registered"

    outcome = CommandBus(InMemoryUnitOfWorkFactory(store), store).execute(
        RegisterUnlessTaken(), None, ctx)
    assert isinstance(outcome, Executed) and outcome.result == "found the winner"
    assert len(attempts) == 2
    assert store.all_events() == []


def test_idempotency_replays_the_first_response_and_refuses_a_different_request(
        bus, capture, ctx, store) -> None:
    def render(result) -> StoredResponse:
        return StoredResponse(201, str(result.lead.id).encode())

    command = CaptureLead(name="A", email="a@example.com", phone=None, source="web")
    first = bus.execute(capture, command, ctx, Idempotency("key-1", "fp-1", render))
    again = bus.execute(capture, command, ctx, Idempotency("key-1", "fp-1", render))
    assert isinstance(first, Executed) and isinstance(again, Replayed)
    assert again.response.body == str(first.result.lead.id).encode()
    assert len([e for e in store.all_events() if isinstance(e, Lead.LeadCaptured)]) == 1
    with pytest.raises(IdempotencyKeyReused):
        bus.execute(capture, command, ctx, Idempotency("key-1", "fp-2", render))


class _Tenants:
    def __init__(self, settings: dict[UUID, timedelta]) -> None:
        self.settings = settings

    def stale_after_by_tenant(self) -> dict[UUID, timedelta]:
        return self.settings


class _Leads:
    """LeadQueries over the lead_pipeline projection computed in memory from the fake store."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self.store = store

    def stale_candidates(self, tenant_id: UUID, *, inactive_since: datetime,
                         limit: int) -> list[UUID]:
        rows = MemoryRows()
        projection = LeadPipelineProjection()
        for event in self.store.all_events():
            projection.apply(event, rows)
        return [r["id"] for r in rows.rows("lead_pipeline")
                if r["tenant_id"] == tenant_id and r["status"] in ("new", "contacted",
                                                                    "qualified")
                and r["next_follow_up_at"] is None and r["last_activity_at"] <= inactive_since]


def test_stale_lead_policy_schedules_once_after_stale_after(bus, capture, ctx, clock,
                                                            store) -> None:
    run(bus, capture, CaptureLead(name="A", email="a@example.com", phone=None,
                                  source="web"), ctx)
    policy = StaleLeadPolicy(bus, _Leads(store), _Tenants({ctx.tenant_id: timedelta(hours=24)}),
                             clock, ScheduleStaleFollowUpHandler(clock))
    clock.advance(timedelta(hours=23))
    assert policy.run_once() == 0
    clock.advance(timedelta(hours=2))
    assert policy.run_once() == 1
    assert policy.run_once() == 0
    scheduled = [e for e in store.all_events() if isinstance(e, Lead.FollowUpScheduled)]
    assert len(scheduled) == 1 and scheduled[0].automatic
    assert scheduled[0].actor == "system:stale-lead-policy"


def test_projections_build_the_views_from_events(bus, capture, ctx, clock, store) -> None:
    lead = run(bus, capture, CaptureLead(name="Ana", email="ana@example.com", phone=None,
                                         source="web", campaign="spring"), ctx).lead
    run(bus, QualifyLeadHandler(clock), QualifyLead(lead.id, None), ctx)
    rows = MemoryRows()
    for projection in (ContactsProjection(), LeadPipelineProjection()):
        for event in store.all_events():
            projection.apply(event, rows)
    [lead_row] = rows.rows("lead_pipeline")
    [contact_row] = rows.rows("contacts")
    assert (lead_row["status"], lead_row["campaign"], lead_row["version"]) == (
        "qualified", "spring", 2)
    assert contact_row["email"] == "ana@example.com"
