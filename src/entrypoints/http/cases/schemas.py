"""Schemas of cases, quotes, invoices, payments and the Stripe webhook. Amounts are integer
minor units (cents)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.cases.views import CaseView
from entrypoints.http.schemas import In, Note, SlugText

Currency = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$", examples=["EUR"],
                                description="ISO 4217 code")]
Minor = Annotated[int, Field(ge=1, le=10**15, examples=[25000],
                             description="Integer minor units (cents): 25000 = 250.00 EUR")]


class CaseCreate(In):
    contact_id: UUID = Field(description="The contact the case is for")
    lead_id: UUID | None = Field(default=None, description="The lead it came from (its source "
                                                          "and campaign attribute the revenue)")
    kind: SlugText = Field(examples=["treatment_plan"],
                           description="Tenant vocabulary: treatment_plan, trip_quote, ...")
    title: str = Field(min_length=1, max_length=200, examples=["Whitening, two sessions"])


class LineItemIn(In):
    description: str = Field(min_length=1, max_length=200, examples=["Whitening session"])
    quantity: int = Field(ge=1, le=100_000, examples=[2])
    unit_amount: int = Field(ge=0, le=10**12, examples=[25000], description="Minor units")


class QuoteIn(In):
    currency: Currency
    line_items: list[LineItemIn] = Field(min_length=1, max_length=100)
    valid_until: date = Field(examples=["2026-12-31"], description="Last day it can be "
                                                                  "accepted")


class InvoiceIn(In):
    amount: Minor | None = Field(default=None, description="Defaults to what of the accepted "
                                                           "quote is not invoiced yet")
    due_date: date = Field(examples=["2026-12-15"])
    description: str | None = Field(default=None, max_length=500)
    payment_link: bool = Field(default=False, description="Also create a Stripe Checkout "
                                                          "page for it (503 if Stripe is down "
                                                          "or not configured; nothing is "
                                                          "recorded then)")


class PaymentIn(In):
    amount: Minor
    currency: Currency
    method: Literal["cash", "bank_transfer", "card", "cheque", "other"] = Field(
        examples=["bank_transfer"])
    invoice_id: UUID | None = None
    external_reference: str | None = Field(
        default=None, max_length=200, examples=["BANK-2026-000123"],
        description="A reference already recorded in this tenant is ignored (duplicate)")


class RefundIn(In):
    payment_id: UUID
    amount: Minor | None = Field(default=None, description="Defaults to what remains of the "
                                                           "payment")
    reason: str | None = Field(default=None, max_length=1000, examples=["treatment cancelled"])


class CompleteIn(In):
    note: Note | None = None


class CancelIn(In):
    reason: str = Field(min_length=1, max_length=1000, examples=["patient moved away"])


class LineItemOut(BaseModel):
    description: str
    quantity: int
    unit_amount: int
    amount: int


class QuoteOut(BaseModel):
    revision: int
    currency: str
    line_items: list[LineItemOut]
    total: int
    valid_until: date
    issued_at: datetime
    accepted_at: datetime | None


class InvoiceOut(BaseModel):
    id: UUID
    amount: int
    due_date: date
    description: str | None
    issued_at: datetime
    paid: int = Field(description="Paid on this invoice, net of refunds and disputes")
    status: Literal["open", "partially_paid", "paid"]
    payment_link: str | None = Field(description="Stripe Checkout URL, if one was made")


class PaymentOut(BaseModel):
    id: UUID
    amount: int
    method: str
    invoice_id: UUID | None
    external_reference: str | None
    received_at: datetime
    refunded: int
    disputed: int


class TotalsOut(BaseModel):
    quoted: int
    invoiced: int
    paid: int
    refunded: int
    disputed: int
    net: int = Field(description="paid - refunded - disputed")
    balance_due: int = Field(description="invoiced - net, at least 0")


class CaseOut(BaseModel):
    id: UUID
    contact_id: UUID
    lead_id: UUID | None
    kind: str
    title: str
    status: Literal["draft", "quoted", "accepted", "in_progress", "completed", "cancelled"]
    version: int = Field(description="Send it back in If-Match to act on this version")
    currency: str | None = Field(description="Fixed by the first quote")
    source: str | None
    campaign: str | None
    quote: QuoteOut | None
    invoices: list[InvoiceOut]
    payments: list[PaymentOut]
    totals: TotalsOut
    closing_note: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: CaseView) -> CaseOut:
        quote = None
        if view.quote is not None:
            q = view.quote
            quote = QuoteOut(revision=q.revision, currency=q.currency,
                             line_items=[LineItemOut(**i) for i in q.line_items], total=q.total,
                             valid_until=q.valid_until, issued_at=q.issued_at,
                             accepted_at=q.accepted_at)
        t = view.totals
        return cls(
            id=view.id, contact_id=view.contact_id, lead_id=view.lead_id, kind=view.kind,
            title=view.title, status=view.status, version=view.version,  # type: ignore[arg-type]
            currency=view.currency, source=view.source, campaign=view.campaign, quote=quote,
            invoices=[InvoiceOut(id=i.id, amount=i.amount, due_date=i.due_date,
                                 description=i.description, issued_at=i.issued_at, paid=i.paid,
                                 status=i.status, payment_link=i.payment_link)  # type: ignore[arg-type]
                      for i in view.invoices],
            payments=[PaymentOut(id=p.id, amount=p.amount, method=p.method,
                                 invoice_id=p.invoice_id, external_reference=p.external_reference,
                                 received_at=p.received_at, refunded=p.refunded,
                                 disputed=p.disputed) for p in view.payments],
            totals=TotalsOut(quoted=t.quoted, invoiced=t.invoiced, paid=t.paid,
                             refunded=t.refunded, disputed=t.disputed, net=t.net,
                             balance_due=t.balance_due),
            closing_note=view.closing_note, created_at=view.created_at,
            updated_at=view.updated_at)


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


class PaymentRecordedOut(BaseModel):
    payment_id: UUID = Field(description="The payment recorded, or the one that already "
                                         "holds this external reference")
    duplicate: bool = Field(description="True: the external reference was already recorded "
                                        "and nothing changed")
    recorded_on_case: UUID
    case: CaseOut


class RefundRecordedOut(BaseModel):
    refund_id: UUID
    external_reference: str | None = Field(description="Stripe refund id for online payments")
    case: CaseOut


class InvoiceCreatedOut(BaseModel):
    invoice: InvoiceOut
    case: CaseOut


class WebhookOut(BaseModel):
    received: bool = True
    event_id: str | None = None
    outcome: Literal["recorded", "duplicate", "ignored"]
    detail: str | None = None
