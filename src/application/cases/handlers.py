"""Handlers for the case lifecycle: open, quote, accept, invoice, complete, cancel.

Each loads the case (checking If-Match), calls one aggregate method, stages it; the bus commits.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.aggregates import load_for_change
from application.cases.commands import (
    AcceptQuote,
    CancelCase,
    CompleteCase,
    IssueInvoice,
    IssueQuote,
    OpenCase,
)
from application.cases.ports import CheckoutRequest, PaymentGateway
from application.cases.views import CaseView
from application.ports import CommandContext, UnitOfWork
from domain.cases import Case, LineItem
from domain.contacts import Contact
from domain.leads import Lead
from domain.ports import Clock
from domain.shared import InvalidValue, NotFound, Slug
from domain.shared.money import Money, currency_code


class _CaseHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock


class OpenCaseHandler(_CaseHandler):
    """Open a case by hand for a known contact (and, optionally, the lead it came from)."""

    def __call__(self, command: OpenCase, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
        try:
            contact = uow.get(Contact, command.contact_id)
        except NotFound:
            raise InvalidValue("contact_id", "no such contact") from None
        if contact.erased:
            raise InvalidValue("contact_id", "this contact was erased")
        source = campaign = None
        if command.lead_id is not None:
            try:
                lead = uow.get(Lead, command.lead_id)
            except NotFound:
                raise InvalidValue("lead_id", "no such lead") from None
            if lead.contact_id != contact.id:
                raise InvalidValue("lead_id", "this lead belongs to another contact")
            source, campaign = lead.source, lead.campaign
        case = Case.open(case_id=command.case_id, tenant_id=ctx.tenant_id, actor=ctx.actor,
                         at=self._clock.now(), contact_id=contact.id, lead_id=command.lead_id,
                         kind=Slug(command.kind, "kind"), title=command.title, source=source,
                         campaign=campaign)
        uow.add(case)
        return CaseView.of(case)


class IssueQuoteHandler(_CaseHandler):
    def __call__(self, command: IssueQuote, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
        currency = currency_code(command.currency)
        items = [LineItem(line.description, line.quantity, Money(line.unit_amount, currency))
                 for line in command.line_items]
        case = load_for_change(uow, Case, command.case_id, command.expected_version)
        case.issue_quote(actor=ctx.actor, at=self._clock.now(), line_items=items,
                         valid_until=command.valid_until)
        uow.add(case)
        return CaseView.of(case)


class AcceptQuoteHandler(_CaseHandler):
    def __call__(self, command: AcceptQuote, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
        case = load_for_change(uow, Case, command.case_id, command.expected_version)
        case.accept_quote(actor=ctx.actor, at=self._clock.now())
        uow.add(case)
        return CaseView.of(case)


class IssueInvoiceHandler(_CaseHandler):
    """Issue an invoice; with ``payment_link`` also a hosted payment page at the provider, in
    the same commit. If the provider is down nothing is recorded (the caller gets a 503)."""

    def __init__(self, clock: Clock, gateway: PaymentGateway) -> None:
        super().__init__(clock)
        self._gateway = gateway

    def __call__(self, command: IssueInvoice, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
        case = load_for_change(uow, Case, command.case_id, command.expected_version)
        if case.currency is None or case.quote is None:
            raise InvalidValue("amount", "the case has no accepted quote to invoice")
        amount = command.amount
        if amount is None:
            amount = case.quote.total - case.invoiced_total
        now = self._clock.now()
        case.issue_invoice(actor=ctx.actor, at=now, invoice_id=command.invoice_id,
                           amount=Money(amount, case.currency), due_date=command.due_date,
                           description=command.description)
        if command.payment_link:
            attach_payment_link(case, command.invoice_id, self._gateway, ctx, now,
                                command.invoice_id)
        uow.add(case)
        return CaseView.of(case)


def attach_payment_link(case: Case, invoice_id: UUID, gateway: PaymentGateway,
                        ctx: CommandContext, at: datetime, request_id: UUID) -> None:
    """Ask the provider for a payment page for what is still due on the invoice."""
    assert case.currency is not None
    invoice = case.ensure_payable_online(invoice_id)
    due = invoice.amount - case.invoice_paid(invoice_id)
    link = gateway.create_checkout(CheckoutRequest(
        tenant_id=ctx.tenant_id, case_id=case.id, invoice_id=invoice_id, amount=due,
        currency=case.currency,
        description=invoice.description or f"Invoice {str(invoice_id)[:8]} ({case.kind})",
        idempotency_key=str(request_id)))
    case.record_payment_link(actor=ctx.actor, at=at, invoice_id=invoice_id,
                             provider=link.provider, url=link.url, reference=link.reference)


class CompleteCaseHandler(_CaseHandler):
    def __call__(self, command: CompleteCase, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
        case = load_for_change(uow, Case, command.case_id, command.expected_version)
        case.complete(actor=ctx.actor, at=self._clock.now(), note=command.note)
        uow.add(case)
        return CaseView.of(case)


class CancelCaseHandler(_CaseHandler):
    def __call__(self, command: CancelCase, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
        case = load_for_change(uow, Case, command.case_id, command.expected_version)
        case.cancel(actor=ctx.actor, at=self._clock.now(), reason=command.reason)
        uow.add(case)
        return CaseView.of(case)
