"""Contacts and leads through the command bus, on the fake store and on PostgreSQL: capture
and its duplicates, the pipeline with If-Match, claims taken concurrently, idempotent
requests, import, the stale-lead policy and the views projected from the events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.bus import Executed, Idempotency, IdempotencyKeyReused, Replayed
from application.contacts import ChangeContactConsent, ChangeContactDetails, RegisterContact
from application.leads.commands import (
    AssignLead,
    CaptureLead,
    CompleteFollowUp,
    ConvertLead,
    ImportLeads,
    LoseLead,
    QualifyLead,
    RecordLeadContact,
    ReopenLead,
    ScheduleFollowUp,
    ScoreLead,
)
from application.leads.stale_policy import StaleLeadPolicy
from application.ports import CommandContext, StoredResponse, UnitOfWork
from application.projections import ContactsProjection, LeadPipelineProjection
from application.projections.memory import MemoryRows
from domain.contacts import Contact
from domain.leads import DuplicateLead, Lead
from domain.shared import Claim, Conflict, Email, InvalidValue, RuleViolated, StaleVersion
from tests.application.backends import App

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def capture(app: App, email: str | None = "a@example.com", source: str = "web",
            **fields: Any) -> Any:
    return app.run(CaptureLead(name=fields.pop("name", "A"), email=email,
                               phone=fields.pop("phone", None), source=source, **fields))


def test_capture_registers_a_contact_and_a_lead(app: App) -> None:
    captured = capture(app, "Ana@Example.com", "web_form", name="Ana", phone="+34 612 345 678")
    assert captured.contact_created and captured.lead.email == "ana@example.com"
    assert captured.lead.phone == "+34612345678"
    types = [type(e).__name__ for e in app.all_events()]
    assert types == ["ContactRegistered", "LeadCaptured"]


def test_same_email_or_phone_attaches_to_the_existing_contact(app: App) -> None:
    first = capture(app, "ana@example.com", "web_form", name="Ana")
    by_email = capture(app, "ANA@example.com", "referral", name=None)
    assert not by_email.contact_created
    assert by_email.lead.contact_id == first.lead.contact_id
    assert by_email.lead.name == "Ana"  # the contact's details, not the new form's


def test_a_second_open_lead_for_contact_and_source_is_a_duplicate(app: App) -> None:
    first = capture(app, "ana@example.com", "web_form", name="Ana")
    with pytest.raises(DuplicateLead) as duplicate:
        capture(app, "ana@example.com", "web_form", name="Ana")
    assert duplicate.value.existing_id == first.lead.id


def test_a_closed_lead_frees_its_source_for_a_new_lead(app: App) -> None:
    first = capture(app, source="web_form")
    app.run(LoseLead(first.lead.id, None, "no budget"))
    again = capture(app, source="web_form")
    assert again.lead.id != first.lead.id
    with pytest.raises(DuplicateLead) as duplicate:  # reopening the first would duplicate
        app.run(ReopenLead(first.lead.id, None, None))
    assert duplicate.value.existing_id == again.lead.id


def test_a_lost_lead_reopens_as_new_and_cannot_be_converted(app: App) -> None:
    lead = capture(app).lead
    assert app.run(LoseLead(lead.id, None, "no budget")).status == "lost"
    with pytest.raises(RuleViolated, match="a lost lead cannot be converted"):
        app.run(ConvertLead(lead.id, None))
    assert app.run(ReopenLead(lead.id, None, "budget found")).status == "new"
    assert app.types(lead.id) == ["LeadCaptured", "LeadLost", "LeadReopened"]


def test_tenants_do_not_see_each_others_contacts(app: App) -> None:
    capture(app)
    other = CommandContext(tenant_id=uuid4(), actor="user:other")
    captured = app.run(CaptureLead(name="A", email="a@example.com", phone=None,
                                   source="web_form"), other)
    assert captured.contact_created


def test_stale_if_match_is_refused_and_changes_nothing(app: App) -> None:
    lead = capture(app).lead
    app.run(QualifyLead(lead.id, 1))
    with pytest.raises(StaleVersion) as stale:
        app.run(ConvertLead(lead.id, 1))
    assert stale.value.details["current_version"] == 2
    assert app.types(lead.id) == ["LeadCaptured", "LeadQualified"]


def test_the_whole_pipeline_one_version_per_step(app: App) -> None:
    lead = capture(app, "ana@example.com", "web_form", name="Ana Ruiz",
                   notes="asks about whitening").lead
    steps: list[Callable[[int], Any]] = [
        lambda v: AssignLead(lead.id, v, UUID("8a6e0804-2bd0-4672-b79d-d97027f9071a")),
        lambda v: RecordLeadContact(lead.id, v, "phone", "reached", "call back Friday"),
        lambda v: ScoreLead(lead.id, v, 72, ["asked for price"]),
        lambda v: ScheduleFollowUp(lead.id, v, datetime(2026, 12, 1, 9, tzinfo=UTC),
                                   "send quote"),
        lambda v: QualifyLead(lead.id, v, "budget confirmed"),
    ]
    version = 1
    for step in steps:
        view = app.run(step(version))
        assert view.version == version + 1
        version += 1
    assert view.status == "qualified" and view.score == 72
    assert view.name == "Ana Ruiz"  # actions answer with the whole lead
    [follow_up] = view.follow_ups
    done = app.run(CompleteFollowUp(lead.id, None, follow_up.id, "quote sent"))
    assert done.follow_ups[0].completed_at is not None
    converted = app.run(ConvertLead(lead.id, None))
    assert converted.status == "converted" and converted.case_id is not None
    with pytest.raises(RuleViolated, match="a converted lead cannot be contacted"):
        app.run(RecordLeadContact(lead.id, None, "sms", "sent"))

    history = app.events(lead.id)
    assert [type(e).__name__ for e in history] == [
        "LeadCaptured", "LeadAssigned", "LeadContacted", "LeadScored", "FollowUpScheduled",
        "LeadQualified", "FollowUpCompleted", "LeadConverted"]
    assert [e.originator_version for e in history] == list(range(1, 9))
    assert history[0].notes == "asks about whitening"
    assert all(e.actor.startswith("user:") for e in history)


def test_a_lead_needs_an_email_or_phone(app: App) -> None:
    with pytest.raises(InvalidValue):
        capture(app, None)


def test_register_contact_refuses_a_taken_email(app: App) -> None:
    first = app.run(RegisterContact(name="A", email="a@example.com", phone=None))
    with pytest.raises(Conflict) as conflict:
        app.run(RegisterContact(name="B", email="A@example.com", phone=None))
    assert conflict.value.details["existing_id"] == str(first.id)


def test_contacts_register_change_details_and_consent(app: App) -> None:
    contact = app.run(RegisterContact(name="Bo", email="bo@example.com", phone="612 345 679",
                                      region="ES"))
    assert contact.phone == "+34612345679"
    changed = app.run(ChangeContactDetails(contact.id, 1, email="bo@new.example"))
    assert changed.version == 2 and changed.email == "bo@new.example"
    consent = app.run(ChangeContactConsent(contact.id, None, "sms", False, "STOP"))
    assert consent.consents == {"sms": False}
    # The old email is free again: a new contact may take it.
    assert app.run(RegisterContact(name=None, email="bo@example.com", phone=None)).id \
        != contact.id
    assert app.owners([Claim("contact_email", "bo@new.example")]) == {
        Claim("contact_email", "bo@new.example"): contact.id}
    assert app.types(contact.id) == ["ContactRegistered", "ContactDetailsChanged",
                                     "ContactConsentChanged"]


ROWS = [
    {"name": "Ana", "email": "ana@example.com", "source": "fair"},
    {"name": "Bob", "phone": "+14155552671", "source": "fair"},
    {"name": "Ana again", "email": "ANA@example.com", "source": "fair"},
    {"name": "Nobody", "source": "fair"},
    {"name": "Bad phone", "phone": "12", "source": "fair"},
    {"name": "Ana other", "email": "ana@example.com", "source": "web"},
]


def test_import_reports_every_row_and_dedupes_within_the_file(app: App) -> None:
    report = app.run(ImportLeads(ROWS))
    assert (report.accepted, report.duplicates, report.rejected) == (3, 1, 2)
    assert [r.outcome for r in report.rows] == ["accepted", "accepted", "duplicate",
                                                "rejected", "rejected", "accepted"]
    assert report.rows[2].existing_id == report.rows[0].lead_id
    assert report.rows[0].row == 2  # line numbers count the header as line 1
    assert "email or a phone" in (report.rows[3].reason or "")
    assert len(app.all_of(Lead.LeadCaptured)) == 3


def test_importing_the_same_rows_again_reports_duplicates_and_imports_nothing(app: App) -> None:
    app.run(ImportLeads(ROWS[:5]))
    again = app.run(ImportLeads(ROWS[:5]))
    assert (again.accepted, again.duplicates) == (0, 3)
    assert len(app.all_of(Lead.LeadCaptured)) == 2


@dataclass(frozen=True)
class RegisterY:
    """A command of this test only: register y@example.com unless someone holds it."""


def test_a_claim_taken_concurrently_makes_the_bus_retry_and_decide_again(app: App) -> None:
    """A rival registers the same email between our check and our commit: the commit raises
    ClaimTaken, the bus runs the handler again, and this time it sees the winner."""
    email = Email("y@example.com")
    rival = Contact.register(contact_id=uuid4(), tenant_id=app.tenant_id, actor="t", at=T0,
                             name=None, email=email, phone=None)
    attempts = []

    def register_unless_taken(command: RegisterY, uow: UnitOfWork, ctx: CommandContext) -> str:
        attempts.append(1)
        if uow.owners_of([Claim("contact_email", email.value)]):
            return "found the winner"
        contact = Contact.register(contact_id=uuid4(), tenant_id=ctx.tenant_id, actor="t",
                                   at=ctx.now, name=None, email=email, phone=None)
        if len(attempts) == 1:  # the rival commits first
            app.save(rival)
        uow.add(contact)
        return "registered"

    outcome = app.bus_with({RegisterY: register_unless_taken}).execute(RegisterY(), app.ctx)
    assert isinstance(outcome, Executed) and outcome.result == "found the winner"
    assert len(attempts) == 2
    assert [e.originator_id for e in app.all_events()] == [rival.id]  # nothing of ours


def test_idempotency_replays_the_first_response_and_refuses_a_different_request(
        app: App) -> None:
    def render(result: Any) -> StoredResponse:
        return StoredResponse(201, str(result.lead.id).encode())

    command = CaptureLead(name="A", email="a@example.com", phone=None, source="web")
    first = app.bus.execute(command, app.ctx, Idempotency("key-1", "fp-1", render))
    again = app.bus.execute(command, app.ctx, Idempotency("key-1", "fp-1", render))
    assert isinstance(first, Executed) and isinstance(again, Replayed)
    assert again.response.body == str(first.result.lead.id).encode()
    assert again.position == first.position
    assert len(app.all_of(Lead.LeadCaptured)) == 1
    with pytest.raises(IdempotencyKeyReused):
        app.bus.execute(command, app.ctx, Idempotency("key-1", "fp-2", render))


class _Tenants:
    def __init__(self, settings: dict[UUID, timedelta]) -> None:
        self.settings = settings

    def stale_after_by_tenant(self) -> dict[UUID, timedelta]:
        return self.settings


class _Leads:
    """LeadQueries over the lead_pipeline projection, computed in memory from the stored
    events (what the read model would hold)."""

    def __init__(self, app: App) -> None:
        self.app = app

    def stale_candidates(self, tenant_id: UUID, *, inactive_since: datetime,
                         limit: int) -> list[UUID]:
        rows = MemoryRows()
        projection = LeadPipelineProjection()
        for event in self.app.all_events():
            projection.apply(event, rows)
        return [r["id"] for r in rows.rows("lead_pipeline")
                if r["tenant_id"] == tenant_id and r["status"] in ("new", "contacted",
                                                                    "qualified")
                and r["next_follow_up_at"] is None and r["last_activity_at"] <= inactive_since]


def test_stale_lead_policy_schedules_once_after_stale_after(app: App) -> None:
    capture(app)
    policy = StaleLeadPolicy(app.bus, _Leads(app),  # type: ignore[arg-type]
                             _Tenants({app.tenant_id: timedelta(hours=24)}), app.clock)
    app.clock.advance(timedelta(hours=23))
    assert policy.run_once() == 0
    app.clock.advance(timedelta(hours=2))
    assert policy.run_once() == 1
    assert policy.run_once() == 0
    scheduled = app.all_of(Lead.FollowUpScheduled)
    assert len(scheduled) == 1 and scheduled[0].automatic
    assert scheduled[0].actor == "system:stale-lead-policy"


def test_projections_build_the_views_from_events(app: App) -> None:
    lead = capture(app, "ana@example.com", name="Ana", campaign="spring").lead
    app.run(QualifyLead(lead.id, None))
    rows = MemoryRows()
    for projection in (ContactsProjection(), LeadPipelineProjection()):
        for event in app.all_events():
            projection.apply(event, rows)
    [lead_row] = rows.rows("lead_pipeline")
    [contact_row] = rows.rows("contacts")
    assert (lead_row["status"], lead_row["campaign"], lead_row["version"]) == (
        "qualified", "spring", 2)
    assert contact_row["email"] == "ana@example.com"
