"""The Lead aggregate: new -> contacted -> qualified -> converted | lost (reopenable)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import InvalidValue, RuleViolated
from domain.shared.values import Score, Slug, bounded_text


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    LOST = "lost"


OPEN_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED})


@dataclass(frozen=True, slots=True)
class FollowUp:
    due_at: datetime
    automatic: bool
    completed_at: datetime | None = None


class Lead(TenantAggregate):
    """An enquiry from a contact, attributed to a source and campaign."""

    class LeadCaptured(TenantAggregate.Created):
        personal = frozenset({"notes"})
        contact_id: UUID
        source: str
        campaign: str | None
        channel: str
        notes: str | None

    class LeadAssigned(TenantAggregate.Event):
        agent_id: UUID | None

    class LeadContacted(TenantAggregate.Event):
        personal = frozenset({"note"})
        channel: str
        outcome: str
        note: str | None

    class LeadScored(TenantAggregate.Event):
        personal = frozenset({"reasons"})
        score: int
        reasons: list[str]

    class LeadQualified(TenantAggregate.Event):
        personal = frozenset({"note"})
        note: str | None

    class FollowUpScheduled(TenantAggregate.Event):
        personal = frozenset({"note"})
        follow_up_id: UUID
        due_at: datetime
        note: str | None
        automatic: bool

    class FollowUpCompleted(TenantAggregate.Event):
        personal = frozenset({"outcome"})
        follow_up_id: UUID
        outcome: str | None

    class LeadConverted(TenantAggregate.Event):
        case_id: UUID

    class LeadLost(TenantAggregate.Event):
        personal = frozenset({"reason"})
        reason: str

    class LeadReopened(TenantAggregate.Event):
        personal = frozenset({"reason"})
        reason: str | None

    @classmethod
    def capture(
        cls,
        *,
        lead_id: UUID,
        tenant_id: UUID,
        actor: str,
        at: datetime,
        contact_id: UUID,
        source: Slug,
        campaign: Slug | None,
        channel: Slug,
        notes: str | None,
    ) -> Lead:
        return cls._create(
            cls.LeadCaptured,
            id=lead_id,
            tenant_id=tenant_id,
            actor=actor,
            timestamp=at,
            contact_id=contact_id,
            source=source.value,
            campaign=campaign.value if campaign else None,
            channel=channel.value,
            notes=bounded_text("notes", notes, limit=4000),
        )

    def __init__(self, *, tenant_id: UUID, contact_id: UUID, source: str, campaign: str | None,
                 channel: str, timestamp: datetime) -> None:
        self.tenant_id = tenant_id
        self.contact_id = contact_id
        self.source = source
        self.campaign = campaign
        self.channel = channel
        self.status = LeadStatus.NEW
        self.status_before_close: LeadStatus | None = None
        self.score: int | None = None
        self.assigned_to: UUID | None = None
        self.last_activity_at = timestamp
        self.follow_ups: dict[UUID, FollowUp] = {}
        self.case_id: UUID | None = None

    # -- facts ------------------------------------------------------------------------------

    @property
    def subject_id(self) -> UUID:
        return self.contact_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def claims(self) -> frozenset[Claim]:
        """An open lead holds its (contact, source): a second one would be a duplicate."""
        if not self.is_open:
            return frozenset()
        return frozenset({Claim("open_lead", f"{self.contact_id}:{self.source}")})

    @staticmethod
    def open_lead_claim(contact_id: UUID, source: Slug) -> Claim:
        return Claim("open_lead", f"{contact_id}:{source.value}")

    @property
    def pending_follow_ups(self) -> dict[UUID, FollowUp]:
        return {k: f for k, f in self.follow_ups.items() if f.completed_at is None}

    # -- commands ---------------------------------------------------------------------------

    def assign(self, *, actor: str, at: datetime, agent_id: UUID | None) -> None:
        self._must_be_open("assigned")
        if agent_id == self.assigned_to:
            return
        self._assigned(actor=actor, timestamp=at, agent_id=agent_id)

    @event(LeadAssigned)
    def _assigned(self, actor: str, timestamp: datetime, agent_id: UUID | None) -> None:
        self.assigned_to = agent_id

    def record_contact(self, *, actor: str, at: datetime, channel: Slug, outcome: Slug,
                       note: str | None) -> None:
        """A converted lead is not contacted any more; a lost lead must be reopened first."""
        if self.status is LeadStatus.CONVERTED:
            raise RuleViolated("a converted lead cannot be contacted")
        self._must_be_open("contacted")
        self._contacted(actor=actor, timestamp=at, channel=channel.value, outcome=outcome.value,
                        note=bounded_text("note", note, limit=4000))

    @event(LeadContacted)
    def _contacted(self, actor: str, timestamp: datetime, channel: str, outcome: str,
                   note: str | None) -> None:
        if self.status is LeadStatus.NEW:
            self.status = LeadStatus.CONTACTED
        self.last_activity_at = timestamp

    def rescore(self, *, actor: str, at: datetime, score: Score, reasons: list[str]) -> None:
        self._must_be_open("scored")
        if len(reasons) > 20:
            raise InvalidValue("reasons", "at most 20 reasons")
        cleaned = [r for r in (bounded_text("reasons", x, limit=200) for x in reasons) if r]
        self._scored(actor=actor, timestamp=at, score=score.value, reasons=cleaned)

    @event(LeadScored)
    def _scored(self, actor: str, timestamp: datetime, score: int, reasons: list[str]) -> None:
        self.score = score

    def qualify(self, *, actor: str, at: datetime, note: str | None) -> None:
        if self.status not in (LeadStatus.NEW, LeadStatus.CONTACTED):
            raise RuleViolated(f"a {self.status} lead cannot be qualified")
        self._qualified(actor=actor, timestamp=at, note=bounded_text("note", note, limit=4000))

    @event(LeadQualified)
    def _qualified(self, actor: str, timestamp: datetime, note: str | None) -> None:
        self.status = LeadStatus.QUALIFIED

    def schedule_follow_up(self, *, actor: str, at: datetime, follow_up_id: UUID,
                           due_at: datetime, note: str | None) -> None:
        self._must_be_open("followed up")
        if due_at.tzinfo is None:
            raise InvalidValue("due_at", "must include a timezone")
        if follow_up_id in self.follow_ups:
            raise RuleViolated("this follow-up is already scheduled")
        self._follow_up_scheduled(actor=actor, timestamp=at, follow_up_id=follow_up_id,
                                  due_at=due_at, note=bounded_text("note", note, limit=4000),
                                  automatic=False)

    def schedule_stale_follow_up(self, *, at: datetime, stale_after: timedelta,
                                 follow_up_id: UUID) -> bool:
        """Policy: an open lead with no contact for ``stale_after`` gets one automatic follow-up.

        Idempotent: nothing happens while any follow-up is pending or the lead is not stale.
        """
        if not self.is_open or self.pending_follow_ups:
            return False
        if at - self.last_activity_at < stale_after:
            return False
        self._follow_up_scheduled(actor="system:stale-lead-policy", timestamp=at,
                                  follow_up_id=follow_up_id, due_at=at,
                                  note=None, automatic=True)
        return True

    @event(FollowUpScheduled)
    def _follow_up_scheduled(self, actor: str, timestamp: datetime, follow_up_id: UUID,
                             due_at: datetime, note: str | None, automatic: bool) -> None:
        self.follow_ups[follow_up_id] = FollowUp(due_at=due_at, automatic=automatic)

    def complete_follow_up(self, *, actor: str, at: datetime, follow_up_id: UUID,
                           outcome: str | None) -> None:
        follow_up = self.follow_ups.get(follow_up_id)
        if follow_up is None:
            raise RuleViolated("no such follow-up on this lead")
        if follow_up.completed_at is not None:
            raise RuleViolated("this follow-up is already completed")
        self._follow_up_completed(actor=actor, timestamp=at, follow_up_id=follow_up_id,
                                  outcome=bounded_text("outcome", outcome, limit=4000))

    @event(FollowUpCompleted)
    def _follow_up_completed(self, actor: str, timestamp: datetime, follow_up_id: UUID,
                             outcome: str | None) -> None:
        self.follow_ups[follow_up_id] = replace(self.follow_ups[follow_up_id],
                                                completed_at=timestamp)
        self.last_activity_at = timestamp

    def convert(self, *, actor: str, at: datetime, case_id: UUID) -> None:
        """Only a qualified lead converts; a lost lead never does."""
        if self.status is LeadStatus.LOST:
            raise RuleViolated("a lost lead cannot be converted")
        if self.status is not LeadStatus.QUALIFIED:
            raise RuleViolated(f"a {self.status} lead must be qualified before conversion")
        self._converted(actor=actor, timestamp=at, case_id=case_id)

    @event(LeadConverted)
    def _converted(self, actor: str, timestamp: datetime, case_id: UUID) -> None:
        self.status_before_close = self.status
        self.status = LeadStatus.CONVERTED
        self.case_id = case_id

    def lose(self, *, actor: str, at: datetime, reason: str) -> None:
        self._must_be_open("lost")
        text = bounded_text("reason", reason, limit=1000)
        if not text:
            raise InvalidValue("reason", "a lost lead needs a reason")
        self._lost(actor=actor, timestamp=at, reason=text)

    @event(LeadLost)
    def _lost(self, actor: str, timestamp: datetime, reason: str) -> None:
        self.status_before_close = self.status
        self.status = LeadStatus.LOST

    def reopen(self, *, actor: str, at: datetime, reason: str | None) -> None:
        """Only a closed lead reopens (the entrypoint allows supervisors and admins only)."""
        if self.is_open:
            raise RuleViolated(f"a {self.status} lead is already open")
        self._reopened(actor=actor, timestamp=at, reason=bounded_text("reason", reason,
                                                                      limit=1000))

    @event(LeadReopened)
    def _reopened(self, actor: str, timestamp: datetime, reason: str | None) -> None:
        self.status = self.status_before_close or LeadStatus.NEW
        self.status_before_close = None
        self.last_activity_at = timestamp

    def _must_be_open(self, verb: str) -> None:
        if not self.is_open:
            raise RuleViolated(f"a {self.status} lead cannot be {verb}")
