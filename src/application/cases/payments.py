"""Handlers for money: a payment link for an invoice, manual payments, refunds."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.aggregates import load_for_change
from application.cases.commands import CreatePaymentLink, RecordPayment, RefundPayment
from application.cases.ports import CheckoutRequest, PaymentGateway, RefundRequest
from application.cases.views import CaseView
from application.ports import CommandContext, UnitOfWork
from domain.cases import MANUAL_METHODS, PROVIDER_METHOD, Case
from domain.shared import InvalidValue
from domain.shared.money import Money, currency_code


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """``duplicate``: the external reference was already recorded (on ``recorded_on``), so
    nothing changed; ``payment_id`` names the payment that holds it."""

    case: CaseView
    payment_id: UUID
    duplicate: bool
    recorded_on: UUID


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    case: CaseView
    refund_id: UUID
    external_reference: str | None


def attach_payment_link(case: Case, invoice_id: UUID, gateway: PaymentGateway,
                        ctx: CommandContext, request_id: UUID) -> None:
    """Ask the provider for a payment page for what is still due on the invoice."""
    invoice = case.ensure_payable_online(invoice_id)  # first: a case with no quote has none
    assert case.currency is not None  # an invoice exists, so a quote set the currency
    due = invoice.amount - case.invoice_paid(invoice_id)
    link = gateway.create_checkout(CheckoutRequest(
        tenant_id=ctx.tenant_id, case_id=case.id, invoice_id=invoice_id, amount=due,
        currency=case.currency,
        description=invoice.description or f"Invoice {str(invoice_id)[:8]} ({case.kind})",
        idempotency_key=str(request_id)))
    case.record_payment_link(actor=ctx.actor, at=ctx.now, invoice_id=invoice_id,
                             provider=link.provider, url=link.url, reference=link.reference)


class CreatePaymentLinkHandler:
    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    def __call__(self, command: CreatePaymentLink, uow: UnitOfWork,
                 ctx: CommandContext) -> CaseView:
        case = load_for_change(uow, Case, command.case_id, command.expected_version)
        attach_payment_link(case, command.invoice_id, self._gateway, ctx, command.request_id)
        uow.add(case)
        return CaseView.of(case)


def record_payment(command: RecordPayment, uow: UnitOfWork,
                   ctx: CommandContext) -> PaymentOutcome:
    """A payment recorded by hand (cash, bank transfer, card terminal, cheque). An external
    reference already recorded on any case of the tenant is ignored: the answer names it."""
    if command.method not in MANUAL_METHODS:
        raise InvalidValue("method", f"must be one of {sorted(MANUAL_METHODS)}")
    amount = Money(command.amount, currency_code(command.currency))
    case = load_for_change(uow, Case, command.case_id, command.expected_version)
    reference = command.external_reference.strip() if command.external_reference else None
    if reference:
        holder = uow.owners_of([Case.payment_claim(reference)]).get(
            Case.payment_claim(reference))
        if holder is not None and holder != case.id:
            other = uow.get(Case, holder)
            existing = other.payment_with_reference(reference)
            assert existing is not None
            return PaymentOutcome(CaseView.of(case), existing.id, True, other.id)
    recorded = case.receive_payment(actor=ctx.actor, at=ctx.now,
                                    payment_id=command.payment_id, amount=amount,
                                    method=command.method, invoice_id=command.invoice_id,
                                    external_reference=reference)
    if not recorded:
        assert reference is not None
        existing = case.payment_with_reference(reference)
        assert existing is not None
        return PaymentOutcome(CaseView.of(case), existing.id, True, case.id)
    uow.add(case)
    return PaymentOutcome(CaseView.of(case), command.payment_id, False, case.id)


class RefundPaymentHandler:
    """Return money. A payment made online is refunded at the provider first (with the
    refund id as idempotency key); if the provider is down nothing is recorded."""

    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    def __call__(self, command: RefundPayment, uow: UnitOfWork,
                 ctx: CommandContext) -> RefundOutcome:
        case = load_for_change(uow, Case, command.case_id, command.expected_version)
        payment = case.payment(command.payment_id)
        amount = case.money(payment.remaining if command.amount is None else command.amount)
        case.ensure_refundable(payment.id, amount)
        reference = None
        if payment.method == PROVIDER_METHOD:
            assert payment.external_reference is not None
            refund = self._gateway.refund(RefundRequest(
                tenant_id=ctx.tenant_id, case_id=case.id, refund_id=command.refund_id,
                payment_reference=payment.external_reference, amount=amount.amount,
                currency=amount.currency))
            reference = refund.reference
        case.refund_payment(actor=ctx.actor, at=ctx.now, refund_id=command.refund_id,
                            payment_id=payment.id, amount=amount, reason=command.reason,
                            external_reference=reference)
        uow.add(case)
        return RefundOutcome(CaseView.of(case), command.refund_id, reference)
