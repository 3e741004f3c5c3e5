"""What route handlers receive: grouped collaborators, built from the container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Litestar
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.routes import HTTPRoute

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


class Constant(Provide):
    """A collaborator built once at start and handed as it is to every handler that names it."""

    def __init__(self, value: Any) -> None:
        super().__init__(lambda: value, use_cache=True, sync_to_thread=False)


def resolve_constants_in_line(app: Litestar) -> int:
    """Resolve a handler's ``Constant`` dependencies one after the other instead of
    concurrently; returns how many handlers changed.

    Litestar resolves the dependencies a handler names that do not depend on each other as
    one batch, concurrently in an anyio task group, whenever there are two or more. For
    constants that is a task group and a task each for nothing: about a tenth of an API
    process's CPU per request for `POST /v1/leads` (``leads`` and ``bus``, ADR 0063). A batch
    made only of constants is split into batches of one, which Litestar awaits in line.
    Batches with any other dependency are left as they are."""
    changed = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for _, model in route.route_handler_map.values():
            batches: list[set[Any]] = []
            for batch in model.dependency_batches:
                if len(batch) > 1 and all(isinstance(d.provide, Constant) for d in batch):
                    batches.extend({d} for d in batch)
                else:
                    batches.append(batch)
            if len(batches) != len(model.dependency_batches):
                model.dependency_batches = batches
                changed += 1
    return changed


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
