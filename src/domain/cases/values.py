"""Values of the cases context: status, payment methods, line items and the case's records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.shared.errors import InvalidValue
from domain.shared.money import Money
from domain.shared.values import bounded_text


class CaseStatus(StrEnum):
    DRAFT = "draft"
    QUOTED = "quoted"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


MANUAL_METHODS = frozenset({"cash", "bank_transfer", "card", "cheque", "other"})
"""Payment methods a person records by hand; ``stripe`` is recorded by the webhook only."""
PROVIDER_METHOD = "stripe"
MAX_LINE_ITEMS = 100


@dataclass(frozen=True, slots=True)
class LineItem:
    description: str
    quantity: int
    unit_price: Money

    def __post_init__(self) -> None:
        text = bounded_text("line_items.description", self.description, limit=200)
        if not text:
            raise InvalidValue("line_items.description", "is required")
        object.__setattr__(self, "description", text)
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) \
                or not 1 <= self.quantity <= 100_000:
            raise InvalidValue("line_items.quantity", "must be an integer from 1 to 100000")
        if self.unit_price.amount < 0:
            raise InvalidValue("line_items.unit_amount", "cannot be negative")

    @property
    def amount(self) -> Money:
        return self.unit_price.times(self.quantity)

    def as_record(self) -> dict[str, Any]:
        return {"description": self.description, "quantity": self.quantity,
                "unit_amount": self.unit_price.amount, "amount": self.amount.amount}


@dataclass(frozen=True, slots=True)
class Quote:
    revision: int
    currency: str
    line_items: tuple[dict[str, Any], ...]
    total: int
    valid_until: date
    issued_at: datetime
    accepted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    id: UUID
    amount: int
    due_date: date
    description: str | None
    issued_at: datetime
    payment_link: str | None = None
    payment_link_reference: str | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    id: UUID
    amount: int
    method: str
    invoice_id: UUID | None
    external_reference: str | None
    received_at: datetime
    refunded: int = 0
    disputed: int = 0
    refund_ids: frozenset[UUID] = field(default_factory=frozenset)

    @property
    def remaining(self) -> int:
        """What can still be refunded or disputed: paid - refunded - disputed (never < 0)."""
        return self.amount - self.refunded - self.disputed
