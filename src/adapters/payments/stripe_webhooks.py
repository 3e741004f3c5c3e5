"""Stripe webhooks: the signature checked by the SDK (HMAC-SHA256 of ``"<t>.<payload>"`` under
STRIPE_WEBHOOK_SECRET, 300 s tolerance), then the event mapped to a case command by the
metadata Frontdesk put on what it created (tenant, case, invoice).

Mapped events: ``payment_intent.succeeded`` and ``checkout.session.completed`` (a payment),
``charge.refunded`` (refunds), ``charge.dispute.created`` (a chargeback). Charges and disputes
that do not carry the metadata are traced to their payment intent, whose metadata is read from
Stripe. Everything else is acknowledged and ignored.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import stripe

from adapters.payments.stripe_gateway import CASE_KEY, INVOICE_KEY, REFUND_KEY, TENANT_KEY
from application.cases.ports import PaymentGateway
from application.cases.provider import (
    RecordProviderDispute,
    RecordProviderPayment,
    RecordProviderRefunds,
    RefundSeen,
)

TOLERANCE_SECONDS = 300
log = logging.getLogger("frontdesk.stripe.webhooks")


class InvalidSignature(Exception):
    """Missing, malformed, wrong or expired Stripe-Signature (HTTP 400)."""


class WebhooksNotConfigured(Exception):
    """STRIPE_WEBHOOK_SECRET is not set (HTTP 503)."""


@dataclass(frozen=True, slots=True)
class Mapped:
    """A verified event for a case: the command to run as ``tenant_id``."""

    event_id: str
    tenant_id: UUID
    command: RecordProviderPayment | RecordProviderRefunds | RecordProviderDispute


@dataclass(frozen=True, slots=True)
class Ignored:
    event_id: str
    reason: str


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _id(value: Any) -> str | None:
    """A Stripe reference that may be an id or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


class StripeWebhooks:
    def __init__(self, secret: str | None, gateway: PaymentGateway,
                 tolerance: int = TOLERANCE_SECONDS) -> None:
        self._secret, self._gateway, self._tolerance = secret, gateway, tolerance

    def verify(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event, if Stripe signed exactly this payload within the tolerance."""
        if not self._secret:
            raise WebhooksNotConfigured("set STRIPE_WEBHOOK_SECRET to receive Stripe events")
        if not signature:
            raise InvalidSignature("the Stripe-Signature header is missing")
        try:
            text = payload.decode("utf-8")
            stripe.Webhook.construct_event(text, signature, self._secret,
                                           tolerance=self._tolerance)
            event = json.loads(text)
        except (stripe.SignatureVerificationError, ValueError, IndexError) as error:
            raise InvalidSignature("the Stripe-Signature does not match the payload, or "
                                   "it is too old") from error
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict) \
                or not isinstance(event["data"].get("object"), dict) or not event.get("id"):
            raise InvalidSignature("the payload is not a Stripe event")
        return event

    def translate(self, event: dict[str, Any]) -> Mapped | Ignored:
        event_id, kind = str(event["id"]), str(event.get("type", ""))
        obj: dict[str, Any] = event["data"]["object"]
        if kind == "payment_intent.succeeded":
            return self._payment(event_id, obj.get("metadata"), obj["id"],
                                 obj.get("amount_received") or obj.get("amount"),
                                 obj.get("currency"))
        if kind == "checkout.session.completed":
            if obj.get("payment_status") != "paid":
                return Ignored(event_id, "the checkout session is not paid yet")
            reference = _id(obj.get("payment_intent")) or str(obj["id"])
            return self._payment(event_id, obj.get("metadata"), reference,
                                 obj.get("amount_total"), obj.get("currency"))
        if kind == "charge.refunded":
            return self._refunds(event_id, obj)
        if kind == "charge.dispute.created":
            return self._dispute(event_id, obj)
        return Ignored(event_id, f"{kind or 'this event'} is not used by Frontdesk")

    def _target(self, metadata: Any, payment_reference: str | None
                ) -> tuple[UUID, UUID, UUID | None] | None:
        metadata = metadata if isinstance(metadata, dict) else {}
        if not (metadata.get(TENANT_KEY) and metadata.get(CASE_KEY)) and payment_reference \
                and payment_reference.startswith("pi_"):
            metadata = self._gateway.payment_metadata(payment_reference)
        tenant, case = _uuid(metadata.get(TENANT_KEY)), _uuid(metadata.get(CASE_KEY))
        if tenant is None or case is None:
            return None
        return tenant, case, _uuid(metadata.get(INVOICE_KEY))

    def _payment(self, event_id: str, metadata: Any, reference: str, amount: Any,
                 currency: Any) -> Mapped | Ignored:
        target = self._target(metadata, None)
        if target is None:
            return Ignored(event_id, "no Frontdesk metadata (tenant, case)")
        if not isinstance(amount, int) or amount <= 0 or not isinstance(currency, str):
            return Ignored(event_id, "no amount or currency")
        tenant, case, invoice = target
        return Mapped(event_id, tenant, RecordProviderPayment(
            case_id=case, invoice_id=invoice, amount=amount, currency=currency.upper(),
            payment_reference=reference, event_id=event_id))

    def _refunds(self, event_id: str, charge: dict[str, Any]) -> Mapped | Ignored:
        reference = _id(charge.get("payment_intent")) or str(charge["id"])
        target = self._target(charge.get("metadata"), reference)
        if target is None:
            return Ignored(event_id, "no Frontdesk metadata (tenant, case)")
        listed = charge.get("refunds")
        seen: list[RefundSeen] = []
        if isinstance(listed, dict) and isinstance(listed.get("data"), list):
            for refund in listed["data"]:
                if refund.get("status") in ("failed", "canceled") or not refund.get("id"):
                    continue
                metadata = refund.get("metadata") or {}
                seen.append(RefundSeen(reference=str(refund["id"]), amount=int(refund["amount"]),
                                       refund_id=_uuid(metadata.get(REFUND_KEY))))
        cumulative = charge.get("amount_refunded")
        return Mapped(event_id, target[0], RecordProviderRefunds(
            case_id=target[1], payment_reference=reference, event_id=event_id, refunds=seen,
            cumulative_refunded=int(cumulative) if isinstance(cumulative, int) else None))

    def _dispute(self, event_id: str, dispute: dict[str, Any]) -> Mapped | Ignored:
        reference = _id(dispute.get("payment_intent"))
        if reference is None:
            return Ignored(event_id, "the dispute names no payment intent")
        target = self._target(dispute.get("metadata"), reference)
        if target is None:
            return Ignored(event_id, "no Frontdesk metadata (tenant, case)")
        amount = dispute.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            return Ignored(event_id, "no disputed amount")
        return Mapped(event_id, target[0], RecordProviderDispute(
            case_id=target[1], payment_reference=reference, event_id=event_id,
            dispute_reference=str(dispute["id"]), amount=amount,
            reason=str(dispute.get("reason") or "") or None))
