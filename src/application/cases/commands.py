"""Case commands. Ids of what a command creates are drawn when the command is made, so a
retried handler (the bus retries on a lost claim race) reuses them, and a vendor call made
with them as idempotency keys is not repeated at the vendor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from domain.shared.ids import new_id


@dataclass(frozen=True, slots=True)
class OpenCase:
    contact_id: UUID
    kind: str
    title: str
    lead_id: UUID | None = None
    case_id: UUID = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class QuoteLine:
    description: str
    quantity: int
    unit_amount: int


@dataclass(frozen=True, slots=True)
class IssueQuote:
    case_id: UUID
    expected_version: int | None
    currency: str
    line_items: list[QuoteLine]
    valid_until: date


@dataclass(frozen=True, slots=True)
class AcceptQuote:
    case_id: UUID
    expected_version: int | None


@dataclass(frozen=True, slots=True)
class IssueInvoice:
    case_id: UUID
    expected_version: int | None
    due_date: date
    amount: int | None = None
    """Minor units; None invoices whatever of the accepted quote is not invoiced yet."""
    description: str | None = None
    payment_link: bool = False
    invoice_id: UUID = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class CreatePaymentLink:
    case_id: UUID
    invoice_id: UUID
    expected_version: int | None = None
    request_id: UUID = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class RecordPayment:
    case_id: UUID
    expected_version: int | None
    amount: int
    currency: str
    method: str
    invoice_id: UUID | None = None
    external_reference: str | None = None
    payment_id: UUID = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class RefundPayment:
    case_id: UUID
    expected_version: int | None
    payment_id: UUID
    amount: int | None = None
    """Minor units; None refunds what remains of the payment."""
    reason: str | None = None
    refund_id: UUID = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class CompleteCase:
    case_id: UUID
    expected_version: int | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CancelCase:
    case_id: UUID
    expected_version: int | None
    reason: str
