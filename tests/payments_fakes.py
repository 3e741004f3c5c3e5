"""A stateful fake of the PaymentGateway port (checkout pages and refunds kept in memory), for
the application tests. It passes the same contract suite as the Stripe adapter
(tests/integration/test_payment_gateway_contract.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from application.cases.ports import (
    CheckoutLink,
    CheckoutRequest,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
    ProviderRefund,
    RefundRequest,
)


@dataclass
class FakePaymentGateway:
    provider: str = "stripe"
    down: bool = False
    checkouts: dict[str, CheckoutRequest] = field(default_factory=dict)
    by_key: dict[str, CheckoutLink] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, RefundRequest] = field(default_factory=dict)

    def _up(self) -> None:
        if self.down:
            raise PaymentProviderUnavailable("the fake provider is down", retry_after=7)

    def create_checkout(self, request: CheckoutRequest) -> CheckoutLink:
        self._up()
        if request.idempotency_key in self.by_key:
            return self.by_key[request.idempotency_key]
        reference = f"cs_fake_{len(self.checkouts) + 1}"
        self.checkouts[reference] = request
        link = CheckoutLink(self.provider, reference, f"https://pay.example/{reference}")
        self.by_key[request.idempotency_key] = link
        return link

    def pay(self, reference: str) -> str:
        """The customer pays a checkout page: returns the payment reference."""
        request = self.checkouts[reference]
        payment = f"pi_fake_{len(self.payments) + 1}"
        self.payments[payment] = {"amount": request.amount, "refunded": 0, "metadata": {
            "frontdesk_tenant_id": str(request.tenant_id),
            "frontdesk_case_id": str(request.case_id),
            "frontdesk_invoice_id": str(request.invoice_id)}}
        return payment

    def refund(self, request: RefundRequest) -> ProviderRefund:
        self._up()
        payment = self.payments.get(request.payment_reference)
        if payment is None or payment["refunded"] + request.amount > payment["amount"]:
            raise PaymentProviderRefused("the provider refused the refund")
        key = str(request.refund_id)
        if key not in self.refunds:
            payment["refunded"] += request.amount
            self.refunds[key] = request
        return ProviderRefund(self.provider, f"re_fake_{key[:8]}", request.amount)

    def payment_metadata(self, payment_reference: str) -> dict[str, str]:
        self._up()
        return dict(self.payments[payment_reference]["metadata"])
