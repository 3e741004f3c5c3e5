"""What route handlers receive: grouped collaborators, built from the container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.contacts import (
    ChangeContactConsentHandler,
    ChangeContactDetailsHandler,
    ContactQueries,
    RegisterContactHandler,
)
from application.identity import AuthenticateHandler, ProvisionTenantHandler
from application.leads import CaptureLeadHandler, LeadQueries
from application.leads.actions import (
    AssignLeadHandler,
    CompleteFollowUpHandler,
    ConvertLeadHandler,
    LoseLeadHandler,
    QualifyLeadHandler,
    RecordLeadContactHandler,
    ReopenLeadHandler,
    ScheduleFollowUpHandler,
    ScoreLeadHandler,
)
from application.leads.importing import ImportLeadsHandler
from application.ports import ConsistencyGate, EventHistory


@dataclass(frozen=True)
class ReadSide:
    gate: ConsistencyGate
    history: EventHistory
    timeout: float


@dataclass(frozen=True)
class ContactHandlers:
    register: RegisterContactHandler
    change_details: ChangeContactDetailsHandler
    change_consent: ChangeContactConsentHandler
    queries: ContactQueries


@dataclass(frozen=True)
class LeadHandlers:
    capture: CaptureLeadHandler
    import_leads: ImportLeadsHandler
    assign: AssignLeadHandler
    contact: RecordLeadContactHandler
    score: ScoreLeadHandler
    qualify: QualifyLeadHandler
    schedule_follow_up: ScheduleFollowUpHandler
    complete_follow_up: CompleteFollowUpHandler
    convert: ConvertLeadHandler
    lose: LoseLeadHandler
    reopen: ReopenLeadHandler
    queries: LeadQueries


@dataclass(frozen=True)
class IdentityHandlers:
    provision: ProvisionTenantHandler
    authenticate: AuthenticateHandler
    admin_token: str | None


@dataclass(frozen=True)
class Health:
    check: Any
