"""Hypothesis state machines: random command sequences never break the invariants.

A model of the lead (its expected status) runs beside the aggregate; every rule calls the
aggregate and checks it accepted or refused the command exactly when the rules say so.
"""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.contacts import Contact
from domain.leads import OPEN_STATUSES, Lead, LeadStatus
from domain.shared import Claim, DomainError, Email, PhoneNumber, Score, Slug

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class LeadMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.lead = Lead.capture(lead_id=uuid4(), tenant_id=uuid4(), actor="u", at=self.now,
                                 contact_id=uuid4(), source=Slug("web"), campaign=None,
                                 channel=Slug("web"), notes=None)
        self.expected = LeadStatus.NEW
        self.events = 1
        self.ever_lost = False

    def _tick(self) -> datetime:
        self.now += timedelta(minutes=7)
        return self.now

    def _attempt(self, allowed: bool, action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except DomainError:
            assert not allowed, "a valid command was refused"
            return
        assert allowed, "an invalid command was accepted"
        self.events += 1

    @rule(outcome=st.sampled_from(["reached", "voicemail"]))
    def contact(self, outcome: str) -> None:
        allowed = self.expected in OPEN_STATUSES
        self._attempt(allowed, lambda: self.lead.record_contact(
            actor="u", at=self._tick(), channel=Slug("phone"), outcome=Slug(outcome), note=None))
        if allowed and self.expected is LeadStatus.NEW:
            self.expected = LeadStatus.CONTACTED

    @rule(score=st.integers(min_value=-20, max_value=130))
    def score(self, score: int) -> None:
        valid = 0 <= score <= 100 and self.expected in OPEN_STATUSES
        try:
            value = Score(score)
        except DomainError:
            assert not 0 <= score <= 100
            return
        self._attempt(valid, lambda: self.lead.rescore(actor="u", at=self._tick(), score=value,
                                                       reasons=[]))

    @rule()
    def qualify(self) -> None:
        allowed = self.expected in (LeadStatus.NEW, LeadStatus.CONTACTED)
        self._attempt(allowed, lambda: self.lead.qualify(actor="u", at=self._tick(), note=None))
        if allowed:
            self.expected = LeadStatus.QUALIFIED

    @rule()
    def convert(self) -> None:
        allowed = self.expected is LeadStatus.QUALIFIED
        self._attempt(allowed, lambda: self.lead.convert(actor="u", at=self._tick(),
                                                         case_id=uuid4()))
        if allowed:
            self.expected = LeadStatus.CONVERTED

    @rule()
    def lose(self) -> None:
        allowed = self.expected in OPEN_STATUSES
        self._attempt(allowed, lambda: self.lead.lose(actor="u", at=self._tick(),
                                                      reason="no budget"))
        if allowed:
            self.before_close = self.expected
            self.expected = LeadStatus.LOST
            self.ever_lost = True

    @rule()
    def reopen(self) -> None:
        allowed = self.expected not in OPEN_STATUSES
        before = self.lead.status_before_close
        self._attempt(allowed, lambda: self.lead.reopen(actor="s", at=self._tick(), reason=None))
        if allowed:
            assert before is not None
            self.expected = before

    @precondition(lambda self: self.expected in OPEN_STATUSES)
    @rule(hours=st.integers(min_value=0, max_value=72))
    def stale_policy(self, hours: int) -> None:
        pending = bool(self.lead.pending_follow_ups)
        at = self.lead.last_activity_at + timedelta(hours=hours)
        self.now = max(self.now, at)
        scheduled = self.lead.schedule_stale_follow_up(
            at=at, stale_after=timedelta(hours=24), follow_up_id=uuid4())
        assert scheduled == (hours >= 24 and not pending)
        self.events += int(scheduled)

    @invariant()
    def status_matches_the_rules(self) -> None:
        assert self.lead.status is self.expected

    @invariant()
    def score_stays_in_range(self) -> None:
        assert self.lead.score is None or 0 <= self.lead.score <= 100

    @invariant()
    def version_counts_the_events(self) -> None:
        assert self.lead.version == self.events

    @invariant()
    def only_an_open_lead_holds_its_claim(self) -> None:
        claim = Claim("open_lead", f"{self.lead.contact_id}:web")
        assert (claim in self.lead.claims) == (self.expected in OPEN_STATUSES)

    @invariant()
    def a_converted_lead_names_its_case(self) -> None:
        if self.expected is LeadStatus.CONVERTED:
            assert self.lead.case_id is not None


class ContactMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.contact = Contact.register(contact_id=uuid4(), tenant_id=uuid4(), actor="u", at=T0,
                                        name="A", email=Email("a@example.com"), phone=None)
        self.erased = False

    @rule(n=st.integers(min_value=0, max_value=9))
    def change_email(self, n: int) -> None:
        try:
            self.contact.change_details(actor="u", at=T0, name=None,
                                        email=Email(f"a{n}@example.com"), phone=None)
        except DomainError:
            assert self.erased

    @rule(n=st.integers(min_value=1000000, max_value=1000009))
    def change_phone(self, n: int) -> None:
        try:
            self.contact.change_details(actor="u", at=T0, name=None, email=None,
                                        phone=PhoneNumber(f"+3461{n}"))
        except DomainError:
            assert self.erased

    @rule(granted=st.booleans(), channel=st.sampled_from(["sms", "email", "marketing"]))
    def consent(self, granted: bool, channel: str) -> None:
        try:
            self.contact.change_consent(actor="u", at=T0, channel=channel, granted=granted,
                                        reason="test")
        except DomainError:
            assert self.erased

    @rule()
    def erase(self) -> None:
        try:
            self.contact.erase(actor="u", at=T0, reason="request")
            self.erased = True
        except DomainError:
            assert self.erased

    @invariant()
    def claims_mirror_the_details(self) -> None:
        expected = set()
        if not self.erased:
            expected.add(Claim("contact_email", self.contact.email or ""))
            if self.contact.phone:
                expected.add(Claim("contact_phone", self.contact.phone))
        assert self.contact.claims == expected

    @invariant()
    def an_erased_contact_keeps_no_personal_data(self) -> None:
        if self.erased:
            assert (self.contact.name, self.contact.email, self.contact.phone) == (None,) * 3


TestLeadMachine = LeadMachine.TestCase
TestLeadMachine.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestContactMachine = ContactMachine.TestCase
TestContactMachine.settings = settings(max_examples=80, stateful_step_count=25, deadline=None)
