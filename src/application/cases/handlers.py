"""The cases context's command handlers (``command_handlers``), and those of the case
lifecycle: open, quote, accept, invoice, complete, cancel.

Each loads the case (checking If-Match), calls one aggregate method, stages it; the bus commits.
Money (payment links, payments, refunds) is in ``payments``, the provider's webhooks in
``provider``.
"""

from __future__ import annotations

from application.aggregates import load_for_change
from application.bus import Handlers
from application.cases.commands import (
    AcceptQuote,
    CancelCase,
    CompleteCase,
    CreatePaymentLink,
    IssueInvoice,
    IssueQuote,
    OpenCase,
    RecordPayment,
    RefundPayment,
)
from application.cases.opening import OpenCaseForConvertedLead, open_case_for_converted_lead
from application.cases.payments import (
    CreatePaymentLinkHandler,
    RefundPaymentHandler,
    attach_payment_link,
    record_payment,
)
from application.cases.ports import PaymentGateway
from application.cases.provider import (
    RecordProviderDispute,
    RecordProviderPayment,
    RecordProviderRefunds,
    record_provider_dispute,
    record_provider_payment,
    record_provider_refunds,
)
from application.cases.views import CaseView
from application.ports import CommandContext, UnitOfWork
from domain.cases import Case, LineItem
from domain.contacts import Contact
from domain.leads import Lead
from domain.shared import InvalidValue, NotFound, Slug
from domain.shared.money import Money, currency_code


def open_case(command: OpenCase, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
    """Open a case by hand for a known contact (and, optionally, the lead it came from)."""
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
                     at=ctx.now, contact_id=contact.id, lead_id=command.lead_id,
                     kind=Slug(command.kind, "kind"), title=command.title, source=source,
                     campaign=campaign)
    uow.add(case)
    return CaseView.of(case)


def issue_quote(command: IssueQuote, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
    currency = currency_code(command.currency)
    items = [LineItem(line.description, line.quantity, Money(line.unit_amount, currency))
             for line in command.line_items]
    case = load_for_change(uow, Case, command.case_id, command.expected_version)
    case.issue_quote(actor=ctx.actor, at=ctx.now, line_items=items,
                     valid_until=command.valid_until)
    uow.add(case)
    return CaseView.of(case)


def accept_quote(command: AcceptQuote, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
    case = load_for_change(uow, Case, command.case_id, command.expected_version)
    case.accept_quote(actor=ctx.actor, at=ctx.now)
    uow.add(case)
    return CaseView.of(case)


class IssueInvoiceHandler:
    """Issue an invoice; with ``payment_link`` also a hosted payment page at the provider, in
    the same commit. If the provider is down nothing is recorded (the caller gets a 503)."""

    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    def __call__(self, command: IssueInvoice, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
        case = load_for_change(uow, Case, command.case_id, command.expected_version)
        if case.currency is None or case.quote is None:
            raise InvalidValue("amount", "the case has no accepted quote to invoice")
        amount = command.amount
        if amount is None:
            amount = case.quote.total - case.invoiced_total
        case.issue_invoice(actor=ctx.actor, at=ctx.now, invoice_id=command.invoice_id,
                           amount=Money(amount, case.currency), due_date=command.due_date,
                           description=command.description)
        if command.payment_link:
            attach_payment_link(case, command.invoice_id, self._gateway, ctx,
                                command.invoice_id)
        uow.add(case)
        return CaseView.of(case)


def complete_case(command: CompleteCase, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
    case = load_for_change(uow, Case, command.case_id, command.expected_version)
    case.complete(actor=ctx.actor, at=ctx.now, note=command.note)
    uow.add(case)
    return CaseView.of(case)


def cancel_case(command: CancelCase, uow: UnitOfWork, ctx: CommandContext) -> CaseView:
    case = load_for_change(uow, Case, command.case_id, command.expected_version)
    case.cancel(actor=ctx.actor, at=ctx.now, reason=command.reason)
    uow.add(case)
    return CaseView.of(case)



def command_handlers(gateway: PaymentGateway) -> Handlers:
    """The cases context's handlers; those that talk to the payment provider hold it."""
    return {OpenCase: open_case, IssueQuote: issue_quote, AcceptQuote: accept_quote,
            IssueInvoice: IssueInvoiceHandler(gateway), CompleteCase: complete_case,
            CancelCase: cancel_case, OpenCaseForConvertedLead: open_case_for_converted_lead,
            CreatePaymentLink: CreatePaymentLinkHandler(gateway),
            RecordPayment: record_payment, RefundPayment: RefundPaymentHandler(gateway),
            RecordProviderPayment: record_provider_payment,
            RecordProviderRefunds: record_provider_refunds,
            RecordProviderDispute: record_provider_dispute}
