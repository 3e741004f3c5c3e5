"""The Case aggregate: draft -> quoted -> accepted -> in_progress -> completed | cancelled.

A case is what a converted lead becomes (a treatment plan, a trip quote): it is quoted,
accepted, invoiced and paid. Money rules: one currency per case (set by the first quote);
refunds and disputes of a payment never exceed what was paid on it; a payment, refund or
dispute whose external reference (or provider event) is already recorded is ignored, because
webhook retries are normal.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.cases.errors import (
    InvalidCaseTransition,
    InvoiceExceedsQuote,
    QuoteExpired,
    RefundExceedsPayment,
)
from domain.cases.values import (
    MAX_LINE_ITEMS,
    CaseStatus,
    Invoice,
    LineItem,
    Payment,
    Quote,
)
from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import InvalidValue, NotFound
from domain.shared.money import CurrencyMismatch, Money
from domain.shared.values import Slug, bounded_text

OPEN_FOR_WORK = (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
TAKES_PAYMENTS = (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.COMPLETED,
                  CaseStatus.CANCELLED)


class Case(TenantAggregate):
    """A piece of paid work for a contact, from quote to payment."""

    class CaseOpened(TenantAggregate.Created):
        personal = frozenset({"title"})
        contact_id: UUID
        lead_id: UUID | None
        kind: str
        title: str
        source: str | None
        campaign: str | None

    # Version 2 of a money event carries Money; v1 stored its amount and currency apart.
    class QuoteIssued(TenantAggregate.Event):
        class_version = 2
        revision: int
        line_items: list[dict[str, Any]]
        total: Money
        valid_until: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _fold_money(state, "total")

    class QuoteAccepted(TenantAggregate.Event):
        class_version = 2
        revision: int
        total: Money

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _fold_money(state, "total")

    class InvoiceIssued(TenantAggregate.Event):
        class_version = 2
        invoice_id: UUID
        amount: Money
        due_date: str
        description: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _fold_money(state, "amount")

    class PaymentLinkCreated(TenantAggregate.Event):
        invoice_id: UUID
        provider: str
        url: str
        reference: str

    class PaymentReceived(TenantAggregate.Event):
        class_version = 2
        payment_id: UUID
        contact_id: UUID
        invoice_id: UUID | None
        amount: Money
        method: str
        external_reference: str | None
        provider_event_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _fold_money(state, "amount")

    class PaymentRefunded(TenantAggregate.Event):
        class_version = 2
        personal = frozenset({"reason"})
        refund_id: UUID
        payment_id: UUID
        contact_id: UUID
        amount: Money
        reason: str | None
        external_reference: str | None
        provider_event_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _fold_money(state, "amount")

    class PaymentDisputed(TenantAggregate.Event):
        class_version = 2
        dispute_id: UUID
        payment_id: UUID
        contact_id: UUID
        amount: Money
        reason: str | None
        external_reference: str | None
        provider_event_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _fold_money(state, "amount")

    class CaseCompleted(TenantAggregate.Event):
        personal = frozenset({"note"})
        note: str | None

    class CaseCancelled(TenantAggregate.Event):
        personal = frozenset({"reason"})
        reason: str

    @classmethod
    def open(cls, *, case_id: UUID, tenant_id: UUID, actor: str, at: datetime,
             contact_id: UUID, lead_id: UUID | None, kind: Slug, title: str,
             source: str | None, campaign: str | None) -> Case:
        text = bounded_text("title", title, limit=200)
        if not text:
            raise InvalidValue("title", "a case needs a title")
        return cls._create(cls.CaseOpened, id=case_id, tenant_id=tenant_id, actor=actor,
                           timestamp=at, contact_id=contact_id, lead_id=lead_id,
                           kind=kind.value, title=text, source=source, campaign=campaign)

    def __init__(self, *, tenant_id: UUID, contact_id: UUID, lead_id: UUID | None, kind: str,
                 title: str, source: str | None, campaign: str | None) -> None:
        self.tenant_id = tenant_id
        self.contact_id = contact_id
        self.lead_id = lead_id
        self.kind = kind
        self.title = title
        self.source = source
        self.campaign = campaign
        self.status = CaseStatus.DRAFT
        self.currency: str | None = None
        self.quote: Quote | None = None
        self.invoices: dict[UUID, Invoice] = {}
        self.payments: dict[UUID, Payment] = {}
        self.refunds: dict[UUID, tuple[UUID, int]] = {}  # refund id -> (payment id, amount)
        self.disputes: dict[UUID, tuple[UUID, int]] = {}
        self.references: set[Claim] = set()
        self.closing_note: str | None = None

    # -- facts ------------------------------------------------------------------------------

    @property
    def subject_id(self) -> UUID:
        return self.contact_id

    @property
    def claims(self) -> frozenset[Claim]:
        """External references of payments, refunds and disputes, and provider event ids:
        each is recorded once per tenant."""
        return frozenset(self.references)

    @staticmethod
    def payment_claim(reference: str) -> Claim:
        return Claim("payment_ref", reference)

    @staticmethod
    def refund_claim(reference: str) -> Claim:
        return Claim("refund_ref", reference)

    @staticmethod
    def dispute_claim(reference: str) -> Claim:
        return Claim("dispute_ref", reference)

    @staticmethod
    def provider_event_claim(event_id: str) -> Claim:
        return Claim("provider_event", event_id)

    def money(self, amount: int) -> Money:
        assert self.currency is not None
        return Money(amount, self.currency)

    @property
    def invoiced_total(self) -> int:
        return sum(i.amount for i in self.invoices.values())

    @property
    def paid_total(self) -> int:
        return sum(p.amount for p in self.payments.values())

    @property
    def refunded_total(self) -> int:
        return sum(p.refunded for p in self.payments.values())

    @property
    def disputed_total(self) -> int:
        return sum(p.disputed for p in self.payments.values())

    def payment_with_reference(self, reference: str) -> Payment | None:
        return next((p for p in self.payments.values() if p.external_reference == reference),
                    None)

    def payment(self, payment_id: UUID) -> Payment:
        found = self.payments.get(payment_id)
        if found is None:
            raise NotFound("no such payment on this case")
        return found

    def has_seen(self, provider_event_id: str | None) -> bool:
        return provider_event_id is not None and \
            self.provider_event_claim(provider_event_id) in self.references

    # -- quote ------------------------------------------------------------------------------

    def issue_quote(self, *, actor: str, at: datetime, line_items: list[LineItem],
                    valid_until: date) -> None:
        """Quote (or re-quote) a draft or quoted case. The first quote fixes the currency."""
        if self.status not in (CaseStatus.DRAFT, CaseStatus.QUOTED):
            raise InvalidCaseTransition(f"a {self.status} case cannot be quoted again")
        if not line_items:
            raise InvalidValue("line_items", "a quote needs at least one line item")
        if len(line_items) > MAX_LINE_ITEMS:
            raise InvalidValue("line_items", f"at most {MAX_LINE_ITEMS} line items")
        currency = line_items[0].unit_price.currency
        for item in line_items:
            if item.unit_price.currency != currency:
                raise CurrencyMismatch("every line item of a quote uses one currency")
        if self.currency is not None and currency != self.currency:
            raise CurrencyMismatch(f"this case is in {self.currency}", expected=self.currency,
                                   got=currency)
        if valid_until < at.date():
            raise InvalidValue("valid_until", "must not be in the past")
        total = sum((item.amount for item in line_items), Money.zero(currency))
        revision = self.quote.revision + 1 if self.quote else 1
        self._quote_issued(actor=actor, timestamp=at, revision=revision,
                           line_items=[item.as_record() for item in line_items],
                           total=total, valid_until=valid_until.isoformat())

    @event(QuoteIssued)
    def _quote_issued(self, actor: str, timestamp: datetime, revision: int,
                      line_items: list[dict[str, Any]], total: Money, valid_until: str) -> None:
        self.currency = total.currency
        self.quote = Quote(revision=revision, currency=total.currency,
                           line_items=tuple(line_items), total=total.amount,
                           valid_until=date.fromisoformat(valid_until), issued_at=timestamp)
        self.status = CaseStatus.QUOTED

    def accept_quote(self, *, actor: str, at: datetime) -> None:
        if self.status is not CaseStatus.QUOTED or self.quote is None:
            raise InvalidCaseTransition(f"a {self.status} case has no quote to accept")
        if at.date() > self.quote.valid_until:
            raise QuoteExpired(f"the quote expired on {self.quote.valid_until.isoformat()}",
                               valid_until=self.quote.valid_until.isoformat())
        self._quote_accepted(actor=actor, timestamp=at, revision=self.quote.revision,
                             total=Money(self.quote.total, self.quote.currency))

    @event(QuoteAccepted)
    def _quote_accepted(self, actor: str, timestamp: datetime, revision: int,
                        total: Money) -> None:
        assert self.quote is not None
        self.quote = replace(self.quote, accepted_at=timestamp)
        self.status = CaseStatus.ACCEPTED

    # -- invoices ---------------------------------------------------------------------------

    def issue_invoice(self, *, actor: str, at: datetime, invoice_id: UUID, amount: Money,
                      due_date: date, description: str | None) -> None:
        """Invoice part or all of the accepted quote; the first invoice starts the work."""
        if self.status not in OPEN_FOR_WORK:
            raise InvalidCaseTransition(f"a {self.status} case cannot be invoiced")
        assert self.quote is not None and self.currency is not None
        if amount.currency != self.currency:
            raise CurrencyMismatch(f"this case is in {self.currency}", expected=self.currency,
                                   got=amount.currency)
        if not amount.is_positive:
            raise InvalidValue("amount", "must be positive")
        if invoice_id in self.invoices:
            raise InvalidValue("invoice_id", "this invoice already exists")
        if self.invoiced_total + amount.amount > self.quote.total:
            raise InvoiceExceedsQuote(
                f"invoices would total {self.money(self.invoiced_total) + amount}, more than "
                f"the accepted quote of {self.money(self.quote.total)}",
                uninvoiced=self.quote.total - self.invoiced_total)
        if due_date < at.date():
            raise InvalidValue("due_date", "must not be in the past")
        self._invoice_issued(actor=actor, timestamp=at, invoice_id=invoice_id, amount=amount,
                             due_date=due_date.isoformat(),
                             description=bounded_text("description", description, limit=500))

    @event(InvoiceIssued)
    def _invoice_issued(self, actor: str, timestamp: datetime, invoice_id: UUID, amount: Money,
                        due_date: str, description: str | None) -> None:
        self.invoices[invoice_id] = Invoice(id=invoice_id, amount=amount.amount,
                                            due_date=date.fromisoformat(due_date),
                                            description=description, issued_at=timestamp)
        if self.status is CaseStatus.ACCEPTED:
            self.status = CaseStatus.IN_PROGRESS

    def invoice(self, invoice_id: UUID) -> Invoice:
        found = self.invoices.get(invoice_id)
        if found is None:
            raise NotFound("no such invoice on this case")
        return found

    def invoice_paid(self, invoice_id: UUID) -> int:
        return sum(p.remaining for p in self.payments.values() if p.invoice_id == invoice_id)

    def ensure_payable_online(self, invoice_id: UUID) -> Invoice:
        """A payment link is made for an unpaid invoice of a case that takes payments."""
        invoice = self.invoice(invoice_id)
        if self.status not in OPEN_FOR_WORK:
            raise InvalidCaseTransition(f"a {self.status} case takes no online payment")
        if self.invoice_paid(invoice_id) >= invoice.amount:
            raise InvalidCaseTransition("this invoice is already paid")
        return invoice

    def record_payment_link(self, *, actor: str, at: datetime, invoice_id: UUID, provider: str,
                            url: str, reference: str) -> None:
        self.ensure_payable_online(invoice_id)
        self._payment_link_created(actor=actor, timestamp=at, invoice_id=invoice_id,
                                   provider=provider, url=url, reference=reference)

    @event(PaymentLinkCreated)
    def _payment_link_created(self, actor: str, timestamp: datetime, invoice_id: UUID,
                              provider: str, url: str, reference: str) -> None:
        self.invoices[invoice_id] = replace(self.invoices[invoice_id], payment_link=url,
                                            payment_link_reference=reference)

    # -- payments ---------------------------------------------------------------------------

    def receive_payment(self, *, actor: str, at: datetime, payment_id: UUID, amount: Money,
                        method: str, invoice_id: UUID | None = None,
                        external_reference: str | None = None,
                        provider_event_id: str | None = None) -> bool:
        """Record money received. Returns False (and records nothing) when the external
        reference or provider event is already recorded on this case."""
        if self.has_seen(provider_event_id) or (
                external_reference and self.payment_claim(external_reference)
                in self.references):
            return False
        if self.status not in TAKES_PAYMENTS or self.quote is None \
                or self.quote.accepted_at is None:
            raise InvalidCaseTransition(f"a {self.status} case takes no payment: a case is "
                                        "paid after its quote is accepted")
        assert self.currency is not None
        if amount.currency != self.currency:
            raise CurrencyMismatch(f"this case is in {self.currency}", expected=self.currency,
                                   got=amount.currency)
        if not amount.is_positive:
            raise InvalidValue("amount", "must be positive")
        if invoice_id is not None:
            self.invoice(invoice_id)
        if payment_id in self.payments:
            raise InvalidValue("payment_id", "this payment already exists")
        self._payment_received(
            actor=actor, timestamp=at, payment_id=payment_id, contact_id=self.contact_id,
            invoice_id=invoice_id, amount=amount, method=method,
            external_reference=bounded_text("external_reference", external_reference, limit=200),
            provider_event_id=provider_event_id)
        return True

    @event(PaymentReceived)
    def _payment_received(self, actor: str, timestamp: datetime, payment_id: UUID,
                          contact_id: UUID, invoice_id: UUID | None, amount: Money,
                          method: str, external_reference: str | None,
                          provider_event_id: str | None) -> None:
        self.payments[payment_id] = Payment(id=payment_id, amount=amount.amount, method=method,
                                            invoice_id=invoice_id,
                                            external_reference=external_reference,
                                            received_at=timestamp)
        if external_reference:
            self.references.add(self.payment_claim(external_reference))
        self._saw(provider_event_id)
        if self.status is CaseStatus.ACCEPTED:
            self.status = CaseStatus.IN_PROGRESS

    def _saw(self, provider_event_id: str | None) -> None:
        if provider_event_id:
            self.references.add(self.provider_event_claim(provider_event_id))

    def ensure_refundable(self, payment_id: UUID, amount: Money) -> Payment:
        """Refunds plus disputes of a payment stay within what was paid on it."""
        payment = self.payment(payment_id)
        assert self.currency is not None
        if amount.currency != self.currency:
            raise CurrencyMismatch(f"this case is in {self.currency}", expected=self.currency,
                                   got=amount.currency)
        if not amount.is_positive:
            raise InvalidValue("amount", "must be positive")
        if amount.amount > payment.remaining:
            raise RefundExceedsPayment(
                f"only {self.money(payment.remaining)} of this payment can still be returned",
                refundable=payment.remaining)
        return payment

    def refund_payment(self, *, actor: str, at: datetime, refund_id: UUID, payment_id: UUID,
                       amount: Money, reason: str | None, external_reference: str | None = None,
                       provider_event_id: str | None = None) -> bool:
        """Record money returned. False when already recorded (same refund, reference or
        provider event)."""
        if refund_id in self.refunds or self.has_seen(provider_event_id) or (
                external_reference and self.refund_claim(external_reference)
                in self.references):
            return False
        self.ensure_refundable(payment_id, amount)
        self._payment_refunded(
            actor=actor, timestamp=at, refund_id=refund_id, payment_id=payment_id,
            contact_id=self.contact_id, amount=amount,
            reason=bounded_text("reason", reason, limit=1000),
            external_reference=external_reference, provider_event_id=provider_event_id)
        return True

    @event(PaymentRefunded)
    def _payment_refunded(self, actor: str, timestamp: datetime, refund_id: UUID,
                          payment_id: UUID, contact_id: UUID, amount: Money,
                          reason: str | None, external_reference: str | None,
                          provider_event_id: str | None) -> None:
        payment = self.payments[payment_id]
        self.payments[payment_id] = replace(payment, refunded=payment.refunded + amount.amount,
                                            refund_ids=payment.refund_ids | {refund_id})
        self.refunds[refund_id] = (payment_id, amount.amount)
        if external_reference:
            self.references.add(self.refund_claim(external_reference))
        self._saw(provider_event_id)

    def dispute_payment(self, *, actor: str, at: datetime, dispute_id: UUID, payment_id: UUID,
                        amount: Money, reason: str | None, external_reference: str | None,
                        provider_event_id: str | None = None) -> bool:
        """A chargeback: the money is taken back by the payer's bank. False if recorded."""
        if dispute_id in self.disputes or self.has_seen(provider_event_id) or (
                external_reference and self.dispute_claim(external_reference)
                in self.references):
            return False
        self.ensure_refundable(payment_id, amount)
        self._payment_disputed(
            actor=actor, timestamp=at, dispute_id=dispute_id, payment_id=payment_id,
            contact_id=self.contact_id, amount=amount,
            reason=bounded_text("reason", reason, limit=200),
            external_reference=external_reference, provider_event_id=provider_event_id)
        return True

    @event(PaymentDisputed)
    def _payment_disputed(self, actor: str, timestamp: datetime, dispute_id: UUID,
                          payment_id: UUID, contact_id: UUID, amount: Money,
                          reason: str | None, external_reference: str | None,
                          provider_event_id: str | None) -> None:
        payment = self.payments[payment_id]
        self.payments[payment_id] = replace(payment, disputed=payment.disputed + amount.amount)
        self.disputes[dispute_id] = (payment_id, amount.amount)
        if external_reference:
            self.references.add(self.dispute_claim(external_reference))
        self._saw(provider_event_id)

    # -- closing ----------------------------------------------------------------------------

    def complete(self, *, actor: str, at: datetime, note: str | None) -> None:
        if self.status not in OPEN_FOR_WORK:
            raise InvalidCaseTransition(f"a {self.status} case cannot be completed")
        self._completed(actor=actor, timestamp=at, note=bounded_text("note", note, limit=4000))

    @event(CaseCompleted)
    def _completed(self, actor: str, timestamp: datetime, note: str | None) -> None:
        self.status = CaseStatus.COMPLETED
        self.closing_note = note

    def cancel(self, *, actor: str, at: datetime, reason: str) -> None:
        if self.status in (CaseStatus.COMPLETED, CaseStatus.CANCELLED):
            raise InvalidCaseTransition(f"a {self.status} case cannot be cancelled")
        text = bounded_text("reason", reason, limit=1000)
        if not text:
            raise InvalidValue("reason", "a cancelled case needs a reason")
        self._cancelled(actor=actor, timestamp=at, reason=text)

    @event(CaseCancelled)
    def _cancelled(self, actor: str, timestamp: datetime, reason: str) -> None:
        self.status = CaseStatus.CANCELLED
        self.closing_note = reason


def _fold_money(state: dict[str, Any], field: str) -> None:
    """Upcast v1 -> v2: the stored amount in ``field`` and ``currency`` become one Money."""
    state[field] = Money(state.pop(field), state.pop("currency"))
