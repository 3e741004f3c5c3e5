"""The payment provider port (Stripe in production, a stateful fake in unit tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.shared.errors import Conflict


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    tenant_id: UUID
    case_id: UUID
    invoice_id: UUID
    amount: int
    currency: str
    description: str
    idempotency_key: str
    """Stable across retries of one request (the provider returns the first answer)."""


@dataclass(frozen=True, slots=True)
class CheckoutLink:
    provider: str
    reference: str
    url: str


@dataclass(frozen=True, slots=True)
class RefundRequest:
    tenant_id: UUID
    case_id: UUID
    refund_id: UUID
    payment_reference: str
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    provider: str
    reference: str
    amount: int


class PaymentProviderUnavailable(Exception):
    """The provider cannot be reached now (outage, open circuit, not configured): nothing
    was recorded, the client may retry after ``retry_after`` seconds (HTTP 503)."""

    def __init__(self, message: str, retry_after: int = 30) -> None:
        super().__init__(message)
        self.message, self.retry_after = message, retry_after


class PaymentProviderRefused(Conflict):
    """The provider refused the request (e.g. the payment cannot be refunded there)."""

    code = "payment-provider-refused"


class PaymentGateway(Protocol):
    """Online payments: a hosted payment page for an invoice, and refunds of what was paid
    through it. Metadata names tenant, case and invoice so webhooks can be mapped back."""

    provider: str

    def create_checkout(self, request: CheckoutRequest) -> CheckoutLink: ...

    def refund(self, request: RefundRequest) -> ProviderRefund: ...

    def payment_metadata(self, payment_reference: str) -> dict[str, str]:
        """The metadata of a payment at the provider (for events that do not carry it)."""
        ...


class NoPaymentGateway:
    """Online payments are not configured: manual payments only (SPEC §7)."""

    provider = "none"

    def _unavailable(self) -> PaymentProviderUnavailable:
        return PaymentProviderUnavailable(
            "online payments are not configured (set STRIPE_API_KEY)", retry_after=3600)

    def create_checkout(self, request: CheckoutRequest) -> CheckoutLink:
        raise self._unavailable()

    def refund(self, request: RefundRequest) -> ProviderRefund:
        raise self._unavailable()

    def payment_metadata(self, payment_reference: str) -> dict[str, str]:
        raise self._unavailable()
