"""What clients see of a case: a snapshot after a command, a view from the cases read model
(same shape), and the query port."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from application.ports import Page
from domain.cases import Case
from domain.shared import RuleViolated


@dataclass(frozen=True, slots=True)
class QuoteView:
    revision: int
    currency: str
    line_items: list[dict[str, Any]]
    total: int
    valid_until: date
    issued_at: datetime
    accepted_at: datetime | None


@dataclass(frozen=True, slots=True)
class InvoiceView:
    id: UUID
    amount: int
    due_date: date
    description: str | None
    issued_at: datetime
    paid: int
    status: str  # open | partially_paid | paid
    payment_link: str | None


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: UUID
    amount: int
    method: str
    invoice_id: UUID | None
    external_reference: str | None
    received_at: datetime
    refunded: int
    disputed: int


@dataclass(frozen=True, slots=True)
class Totals:
    quoted: int
    invoiced: int
    paid: int
    refunded: int
    disputed: int

    @property
    def net(self) -> int:
        return self.paid - self.refunded - self.disputed

    @property
    def balance_due(self) -> int:
        """What is invoiced and not (or no longer) paid."""
        return max(self.invoiced - self.net, 0)


@dataclass(frozen=True, slots=True)
class CaseView:
    id: UUID
    contact_id: UUID
    lead_id: UUID | None
    kind: str
    title: str
    status: str
    version: int
    currency: str | None
    source: str | None
    campaign: str | None
    quote: QuoteView | None
    invoices: list[InvoiceView]
    payments: list[PaymentView]
    totals: Totals
    created_at: datetime
    updated_at: datetime
    closing_note: str | None = None

    @classmethod
    def of(cls, case: Case) -> CaseView:
        quote = None
        if case.quote is not None:
            q = case.quote
            quote = QuoteView(revision=q.revision, currency=q.currency,
                              line_items=[dict(i) for i in q.line_items], total=q.total,
                              valid_until=q.valid_until, issued_at=q.issued_at,
                              accepted_at=q.accepted_at)
        invoices = []
        for invoice in case.invoices.values():
            paid = case.invoice_paid(invoice.id)
            invoices.append(InvoiceView(
                id=invoice.id, amount=invoice.amount, due_date=invoice.due_date,
                description=invoice.description, issued_at=invoice.issued_at, paid=paid,
                status=invoice_status(paid, invoice.amount), payment_link=invoice.payment_link))
        payments = [PaymentView(id=p.id, amount=p.amount, method=p.method,
                                invoice_id=p.invoice_id, external_reference=p.external_reference,
                                received_at=p.received_at, refunded=p.refunded,
                                disputed=p.disputed) for p in case.payments.values()]
        totals = Totals(quoted=case.quote.total if case.quote else 0,
                        invoiced=case.invoiced_total, paid=case.paid_total,
                        refunded=case.refunded_total, disputed=case.disputed_total)
        return cls(id=case.id, contact_id=case.contact_id, lead_id=case.lead_id,
                   kind=case.kind, title=case.title, status=case.status.value,
                   version=case.version, currency=case.currency, source=case.source,
                   campaign=case.campaign, quote=quote, invoices=invoices, payments=payments,
                   totals=totals, created_at=case.created_on, updated_at=case.modified_on,
                   closing_note=case.closing_note)


def invoice_status(paid: int, amount: int) -> str:
    if paid >= amount:
        return "paid"
    return "partially_paid" if paid > 0 else "open"


@dataclass(frozen=True, slots=True)
class CaseFilters:
    status: str | None = None
    kind: str | None = None
    contact_id: UUID | None = None
    lead_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class ProposalData:
    """What a proposal document shows: the tenant's name and the case's current quote. A case
    has no proposal before its first quote."""

    tenant_name: str
    case: CaseView
    extra: dict[str, str] = field(default_factory=dict)
    quote: QuoteView = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.case.quote is None:
            raise RuleViolated("this case has no quote yet: issue one first")
        object.__setattr__(self, "quote", self.case.quote)


class CaseQueries(Protocol):
    def get(self, tenant_id: UUID, case_id: UUID) -> CaseView | None: ...

    def page(self, tenant_id: UUID, filters: CaseFilters, *, limit: int,
             cursor: str | None) -> Page[CaseView]: ...

    def tenant_name(self, tenant_id: UUID) -> str: ...


class ProposalRenderer(Protocol):
    """Renders the proposal document (a PDF) of a quoted case."""

    def render(self, proposal: ProposalData) -> bytes: ...
