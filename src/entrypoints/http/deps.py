"""What route handlers receive: grouped collaborators, built from the container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from adapters.identity.gate import AccessGate
from adapters.payments.stripe_webhooks import StripeWebhooks
from adapters.postgres.health import HealthChecks
from application.analytics import LtvQueries
from application.audit import AuditQueries
from application.bus import CommandBus
from application.cases.handlers import (
    AcceptQuoteHandler,
    CancelCaseHandler,
    CompleteCaseHandler,
    IssueInvoiceHandler,
    IssueQuoteHandler,
    OpenCaseHandler,
)
from application.cases.payments import (
    CreatePaymentLinkHandler,
    RecordPaymentHandler,
    RefundPaymentHandler,
)
from application.cases.provider import (
    RecordProviderDisputeHandler,
    RecordProviderPaymentHandler,
    RecordProviderRefundsHandler,
)
from application.cases.views import CaseQueries, ProposalRenderer
from application.contacts import (
    ChangeContactConsentHandler,
    ChangeContactDetailsHandler,
    ContactQueries,
    RegisterContactHandler,
)
from application.contacts.erasure import ContactExport, EraseContactHandler
from application.identity import AuthenticateHandler, ProvisionTenantHandler
from application.identity.access import (
    AccessDirectory,
    ApiKeyAdministration,
    UserAdministration,
)
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
from application.memories import MemorySearch
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
    erase: EraseContactHandler
    export: ContactExport
    memories: MemorySearch


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
    trust_forwarded: bool = False


@dataclass(frozen=True)
class CaseHandlers:
    open: OpenCaseHandler
    quote: IssueQuoteHandler
    accept: AcceptQuoteHandler
    invoice: IssueInvoiceHandler
    payment_link: CreatePaymentLinkHandler
    payment: RecordPaymentHandler
    refund: RefundPaymentHandler
    complete: CompleteCaseHandler
    cancel: CancelCaseHandler
    queries: CaseQueries
    proposals: ProposalRenderer


@dataclass(frozen=True)
class AnalyticsQueries:
    ltv: LtvQueries


@dataclass(frozen=True)
class StripeHooks:
    webhooks: StripeWebhooks
    payment: RecordProviderPaymentHandler
    refunds: RecordProviderRefundsHandler
    dispute: RecordProviderDisputeHandler


@dataclass(frozen=True)
class AccessHandlers:
    users: UserAdministration
    api_keys: ApiKeyAdministration
    directory: AccessDirectory
    gate: AccessGate
    audit: AuditQueries
    trust_forwarded: bool


# Explicit parameter markers for route signatures (Litestar 3 drops the inferred style).
Bus = NamedDependency[CommandBus]
Leads = NamedDependency[LeadHandlers]
Contacts = NamedDependency[ContactHandlers]
Reads = NamedDependency[ReadSide]
Identity = NamedDependency[IdentityHandlers]
Access = NamedDependency[AccessHandlers]
Health = NamedDependency[HealthChecks]
Cases = NamedDependency[CaseHandlers]
Analytics = NamedDependency[AnalyticsQueries]
Stripe = NamedDependency[StripeHooks]
Id = FromPath[UUID]
Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, QueryParameter(description="next_cursor of the previous page")]
