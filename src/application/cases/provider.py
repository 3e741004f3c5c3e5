"""What the payment provider tells us (through verified webhooks), as case commands.

Idempotent twice over: a provider event id already recorded is ignored, and so is a payment,
refund or dispute whose provider reference is already recorded (the same payment arrives as
``checkout.session.completed`` and as ``payment_intent.succeeded``; every event may be
delivered many times).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID, uuid5

from application.ports import CommandContext, UnitOfWork
from domain.cases import PROVIDER_METHOD, Case
from domain.shared import Conflict
from domain.shared.aggregate import Claim
from domain.shared.money import Money

_NAMESPACE = UUID("5b0c8c62-3b8e-4d0e-9f1a-7f5d2c9e4a10")


def provider_id(*parts: str) -> UUID:
    """A stable id for something the provider names (a replay makes the same id)."""
    return uuid5(_NAMESPACE, ":".join(parts))


@dataclass(frozen=True, slots=True)
class ProviderOutcome:
    status: str  # recorded | duplicate | ignored
    detail: str = ""


RECORDED, DUPLICATE = ProviderOutcome("recorded"), ProviderOutcome("duplicate")


def ignored(detail: str) -> ProviderOutcome:
    return ProviderOutcome("ignored", detail)


@dataclass(frozen=True, slots=True)
class RecordProviderPayment:
    case_id: UUID
    invoice_id: UUID | None
    amount: int
    currency: str
    payment_reference: str
    event_id: str


@dataclass(frozen=True, slots=True)
class RefundSeen:
    reference: str
    amount: int
    refund_id: UUID | None = None
    """Our refund id, when the refund was made through Frontdesk (metadata)."""


@dataclass(frozen=True, slots=True)
class RecordProviderRefunds:
    case_id: UUID
    payment_reference: str
    event_id: str
    refunds: list[RefundSeen] = field(default_factory=list)
    cumulative_refunded: int | None = None
    """When the provider lists no refunds: the total refunded so far on the payment."""


@dataclass(frozen=True, slots=True)
class RecordProviderDispute:
    case_id: UUID
    payment_reference: str
    event_id: str
    dispute_reference: str
    amount: int
    reason: str | None = None


class PaymentNotRecordedYet(Conflict):
    """A refund or dispute arrived before its payment (webhooks come in any order): answered
    with a 409 so the provider delivers it again later, when the payment is recorded."""

    code = "payment-not-recorded-yet"


def _already(uow: UnitOfWork, *claims: Claim) -> bool:
    return bool(uow.owners_of(list(claims)))


def record_provider_payment(command: RecordProviderPayment, uow: UnitOfWork,
                            ctx: CommandContext) -> ProviderOutcome:
    if _already(uow, Case.provider_event_claim(command.event_id),
                Case.payment_claim(command.payment_reference)):
        return DUPLICATE
    case = uow.get(Case, command.case_id)
    invoice_id = command.invoice_id if command.invoice_id in case.invoices else None
    recorded = case.receive_payment(
        actor=ctx.actor, at=ctx.now,
        payment_id=provider_id(PROVIDER_METHOD, command.payment_reference),
        amount=Money(command.amount, command.currency), method=PROVIDER_METHOD,
        invoice_id=invoice_id, external_reference=command.payment_reference,
        provider_event_id=command.event_id)
    if not recorded:
        return DUPLICATE
    uow.add(case)
    return RECORDED


def record_provider_refunds(command: RecordProviderRefunds, uow: UnitOfWork,
                            ctx: CommandContext) -> ProviderOutcome:
    """Each refund the provider lists is recorded once (by its reference, or by our refund id
    when it was made through Frontdesk). Without a list, the difference between the
    provider's cumulative refunded amount and what is recorded is recorded."""
    if _already(uow, Case.provider_event_claim(command.event_id)):
        return DUPLICATE
    case = uow.get(Case, command.case_id)
    payment = case.payment_with_reference(command.payment_reference)
    if payment is None:
        raise PaymentNotRecordedYet("the refunded payment is not recorded yet; retry later")
    at, event_id = ctx.now, command.event_id
    recorded = 0
    wanted = list(command.refunds)
    if not wanted and command.cumulative_refunded is not None:
        missing = command.cumulative_refunded - payment.refunded
        if missing > 0:
            wanted = [RefundSeen(f"{command.payment_reference}@{command.cumulative_refunded}",
                                 missing)]
    for seen in wanted:
        if _already(uow, Case.refund_claim(seen.reference)):
            continue
        refund_id = seen.refund_id or provider_id(PROVIDER_METHOD, seen.reference)
        current = case.payment(payment.id)
        amount = min(seen.amount, current.remaining)
        if amount <= 0:
            continue
        if case.refund_payment(actor=ctx.actor, at=at, refund_id=refund_id,
                               payment_id=payment.id, amount=case.money(amount),
                               reason=None, external_reference=seen.reference,
                               provider_event_id=event_id if recorded == 0 else None):
            recorded += 1
    if recorded == 0:
        return DUPLICATE
    uow.add(case)
    return RECORDED


def record_provider_dispute(command: RecordProviderDispute, uow: UnitOfWork,
                            ctx: CommandContext) -> ProviderOutcome:
    """A chargeback takes back at most what remains of the payment after refunds."""
    if _already(uow, Case.provider_event_claim(command.event_id),
                Case.dispute_claim(command.dispute_reference)):
        return DUPLICATE
    case = uow.get(Case, command.case_id)
    payment = case.payment_with_reference(command.payment_reference)
    if payment is None:
        raise PaymentNotRecordedYet("the disputed payment is not recorded yet; retry later")
    amount = min(command.amount, payment.remaining)
    if amount <= 0:
        return ignored("nothing of this payment is left to dispute")
    if not case.dispute_payment(
            actor=ctx.actor, at=ctx.now,
            dispute_id=provider_id(PROVIDER_METHOD, command.dispute_reference),
            payment_id=payment.id, amount=case.money(amount), reason=command.reason,
            external_reference=command.dispute_reference,
            provider_event_id=command.event_id):
        return DUPLICATE
    uow.add(case)
    return RECORDED
