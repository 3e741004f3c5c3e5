"""Lead behaviour: the pipeline, its invariants and the stale-lead policy."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.leads import Lead, LeadStatus
from domain.shared import Claim, InvalidValue, RuleViolated, Score, Slug

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def new_lead(at: datetime = T0) -> Lead:
    return Lead.capture(lead_id=uuid4(), tenant_id=uuid4(), actor="user:1", at=at,
                        contact_id=uuid4(), source=Slug("web_form"), campaign=Slug("spring"),
                        channel=Slug("web"), notes="wants whitening")


def test_capture_records_who_when_and_where_from() -> None:
    lead = new_lead()
    [event] = lead.collect_events()
    assert isinstance(event, Lead.LeadCaptured)
    assert (event.actor, event.timestamp, event.source, event.campaign) == (
        "user:1", T0, "web_form", "spring")
    assert event.tenant_id == lead.tenant_id
    assert lead.status is LeadStatus.NEW and lead.version == 1


def test_pipeline_new_contacted_qualified_converted() -> None:
    lead = new_lead()
    lead.record_contact(actor="a", at=T0, channel=Slug("phone"), outcome=Slug("reached"),
                        note=None)
    assert lead.status is LeadStatus.CONTACTED
    lead.qualify(actor="a", at=T0, note=None)
    case_id = uuid4()
    lead.convert(actor="a", at=T0, case_id=case_id)
    assert (lead.status, lead.case_id, lead.version) == (LeadStatus.CONVERTED, case_id, 4)


def test_a_lost_lead_cannot_be_converted() -> None:
    lead = new_lead()
    lead.qualify(actor="a", at=T0, note=None)
    lead.lose(actor="a", at=T0, reason="chose a competitor")
    with pytest.raises(RuleViolated, match="lost lead cannot be converted"):
        lead.convert(actor="a", at=T0, case_id=uuid4())


def test_a_converted_lead_cannot_be_contacted() -> None:
    lead = new_lead()
    lead.qualify(actor="a", at=T0, note=None)
    lead.convert(actor="a", at=T0, case_id=uuid4())
    with pytest.raises(RuleViolated, match="converted lead cannot be contacted"):
        lead.record_contact(actor="a", at=T0, channel=Slug("sms"), outcome=Slug("sent"),
                            note=None)


def test_only_a_qualified_lead_converts() -> None:
    with pytest.raises(RuleViolated, match="must be qualified"):
        new_lead().convert(actor="a", at=T0, case_id=uuid4())


def test_score_must_be_between_0_and_100() -> None:
    with pytest.raises(InvalidValue):
        new_lead().rescore(actor="a", at=T0, score=Score(101), reasons=[])


def test_lost_needs_a_reason() -> None:
    with pytest.raises(InvalidValue):
        new_lead().lose(actor="a", at=T0, reason="  ")


def test_reopen_restores_the_status_before_closing_and_the_claim() -> None:
    lead = new_lead()
    lead.record_contact(actor="a", at=T0, channel=Slug("sms"), outcome=Slug("sent"), note=None)
    lead.lose(actor="a", at=T0, reason="no budget")
    assert lead.claims == frozenset()
    lead.reopen(actor="s", at=T0 + timedelta(days=1), reason="budget found")
    assert lead.status is LeadStatus.CONTACTED
    assert lead.claims == {Claim("open_lead", f"{lead.contact_id}:web_form")}


def test_an_open_lead_cannot_be_reopened() -> None:
    with pytest.raises(RuleViolated):
        new_lead().reopen(actor="s", at=T0, reason=None)


def test_stale_policy_schedules_one_follow_up_after_stale_after_without_contact() -> None:
    lead = new_lead()
    day = timedelta(hours=24)
    assert not lead.schedule_stale_follow_up(at=T0 + day - timedelta(minutes=1),
                                             stale_after=day, follow_up_id=uuid4())
    assert lead.schedule_stale_follow_up(at=T0 + day, stale_after=day, follow_up_id=uuid4())
    [follow_up] = lead.pending_follow_ups.values()
    assert follow_up.automatic and follow_up.due_at == T0 + day
    # Idempotent: a pending follow-up means nothing more is scheduled.
    assert not lead.schedule_stale_follow_up(at=T0 + 3 * day, stale_after=day,
                                             follow_up_id=uuid4())


def test_contact_resets_the_stale_clock() -> None:
    lead = new_lead()
    day = timedelta(hours=24)
    lead.record_contact(actor="a", at=T0 + day - timedelta(hours=1), channel=Slug("phone"),
                        outcome=Slug("reached"), note=None)
    assert not lead.schedule_stale_follow_up(at=T0 + day + timedelta(hours=1),
                                             stale_after=day, follow_up_id=uuid4())


def test_follow_ups_complete_once() -> None:
    lead = new_lead()
    follow_up_id = uuid4()
    lead.schedule_follow_up(actor="a", at=T0, follow_up_id=follow_up_id,
                            due_at=T0 + timedelta(days=2), note="call back")
    lead.complete_follow_up(actor="a", at=T0 + timedelta(days=2), follow_up_id=follow_up_id,
                            outcome="booked")
    with pytest.raises(RuleViolated):
        lead.complete_follow_up(actor="a", at=T0, follow_up_id=follow_up_id, outcome=None)
    with pytest.raises(InvalidValue):
        lead.schedule_follow_up(actor="a", at=T0, follow_up_id=uuid4(),
                                due_at=datetime(2026, 3, 5), note=None)


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    lead = new_lead()
    lead.rescore(actor="a", at=T0, score=Score(70), reasons=["asked for price"])
    lead.assign(actor="a", at=T0, agent_id=uuid4())
    lead.qualify(actor="a", at=T0, note="ready")
    events = lead.collect_events()
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert vars(replayed) == vars(lead)
