"""Lead snapshots (after a command) and views (from the lead_pipeline read model)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports import Page, UnitOfWork
from domain.contacts import Contact
from domain.leads import Lead


@dataclass(frozen=True, slots=True)
class FollowUpView:
    id: UUID
    due_at: datetime
    automatic: bool
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class LeadView:
    id: UUID
    contact_id: UUID
    status: str
    version: int
    source: str
    campaign: str | None
    channel: str
    score: int | None
    assigned_to: UUID | None
    case_id: UUID | None
    follow_ups: list[FollowUpView]
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    @classmethod
    def of(cls, lead: Lead, *, name: str | None = None, email: str | None = None,
           phone: str | None = None) -> LeadView:
        follow_ups = [FollowUpView(id=k, due_at=f.due_at, automatic=f.automatic,
                                   completed_at=f.completed_at)
                      for k, f in sorted(lead.follow_ups.items(), key=lambda kv: kv[1].due_at)]
        return cls(id=lead.id, contact_id=lead.contact_id, status=lead.status.value,
                   version=lead.version, source=lead.source, campaign=lead.campaign,
                   channel=lead.channel, score=lead.score, assigned_to=lead.assigned_to,
                   case_id=lead.case_id, follow_ups=follow_ups, created_at=lead.created_on,
                   updated_at=lead.modified_on, last_activity_at=lead.last_activity_at,
                   name=name, email=email, phone=phone)


def lead_view(uow: UnitOfWork, lead: Lead) -> LeadView:
    """The lead after a command, with its contact's current name, email and phone."""
    contact = uow.get(Contact, lead.contact_id)
    return LeadView.of(lead, name=contact.name, email=contact.email, phone=contact.phone)


@dataclass(frozen=True, slots=True)
class LeadFilters:
    status: str | None = None
    source: str | None = None
    campaign: str | None = None
    assigned_to: UUID | None = None
    contact_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class StageTotal:
    """One status of the pipeline: how many leads are in it, and the open value of the cases
    opened from them: what their current quotes total while the case is neither completed nor
    cancelled, per currency (a case fixes its currency with its first quote)."""

    status: str
    leads: int
    open_value: dict[str, int]


PIPELINE_STAGES = ("new", "contacted", "qualified", "converted", "lost")
"""The statuses of a lead in the order a pipeline shows them."""


class LeadQueries(Protocol):
    def get(self, tenant_id: UUID, lead_id: UUID) -> LeadView | None: ...

    def page(self, tenant_id: UUID, filters: LeadFilters, *, limit: int,
             cursor: str | None) -> Page[LeadView]: ...

    def stages(self, tenant_id: UUID) -> list[StageTotal]:
        """Every status of ``PIPELINE_STAGES``, in that order, with its count and open value
        (a status without leads included, with zeros)."""
        ...

    def stale_candidates(self, tenant_id: UUID, *, inactive_since: datetime,
                         limit: int) -> list[UUID]:
        """Open leads with no pending follow-up and no activity since the given moment."""
        ...
