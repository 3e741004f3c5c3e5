"""The PaymentGateway on the official Stripe SDK: Checkout Sessions for invoices, refunds, and
payment-intent look-ups. Configurable API base (``STRIPE_API_BASE``: a sandbox, or the local
fake server of the tests); timeouts; retries with exponential backoff on transient errors
(tenacity), each call with an idempotency key so a retry is never a second payment page or
refund; a circuit breaker (pybreaker, ADR 0050) that counts only transient errors and fails
fast while Stripe is down. Unavailability surfaces as PaymentProviderUnavailable (HTTP 503 with
Retry-After, nothing recorded), a refusal as PaymentProviderRefused.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar

import pybreaker
import stripe
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from adapters.resilience import VendorCircuits
from application.cases.ports import (
    CheckoutLink,
    CheckoutRequest,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
    ProviderRefund,
    RefundRequest,
)

T = TypeVar("T")
log = logging.getLogger("frontdesk.stripe")

TENANT_KEY, CASE_KEY, INVOICE_KEY = "frontdesk_tenant_id", "frontdesk_case_id", \
    "frontdesk_invoice_id"
REFUND_KEY = "frontdesk_refund_id"


def is_transient(error: BaseException) -> bool:
    """Worth retrying: network failures and timeouts, rate limits, Stripe's 5xx answers."""
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    status = getattr(error, "http_status", None)
    return isinstance(error, stripe.APIError) and (status is None or status >= 500)


class StripeGateway:
    provider = "stripe"

    def __init__(self, api_key: str, *, api_base: str, success_url: str,
                 timeout: float = 10.0, attempts: int = 3, backoff: float = 0.5,
                 fail_max: int = 5, reset_timeout: float = 30.0,
                 circuits: VendorCircuits | None = None) -> None:
        self._client = stripe.StripeClient(
            api_key, base_addresses={"api": api_base.rstrip("/")},
            http_client=stripe.RequestsClient(timeout=timeout), max_network_retries=0)
        self._success_url = success_url
        self._attempts, self._backoff = attempts, backoff
        # A refusal (4xx) is Stripe answering: it does not count towards opening the circuit,
        # and as a half-open trial it closes it.
        self.breaker = (circuits or VendorCircuits()).breaker(
            "stripe", fail_max=fail_max, reset_timeout=reset_timeout,
            exclude=[lambda error: not is_transient(error)])

    # -- the calls ----------------------------------------------------------------------------

    def create_checkout(self, request: CheckoutRequest) -> CheckoutLink:
        metadata = {TENANT_KEY: str(request.tenant_id), CASE_KEY: str(request.case_id),
                    INVOICE_KEY: str(request.invoice_id)}
        params: Any = {
            "mode": "payment",
            "success_url": self._success_url,
            "client_reference_id": str(request.invoice_id),
            "line_items": [{"quantity": 1, "price_data": {
                "currency": request.currency.lower(), "unit_amount": request.amount,
                "product_data": {"name": request.description[:250]}}}],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
        }
        session = self._call(lambda: self._client.v1.checkout.sessions.create(
            params, {"idempotency_key": f"frontdesk-checkout-{request.idempotency_key}"}))
        if not session.url:
            raise PaymentProviderRefused("Stripe returned a checkout session without a URL")
        return CheckoutLink(provider=self.provider, reference=session.id, url=session.url)

    def refund(self, request: RefundRequest) -> ProviderRefund:
        params: Any = {
            "payment_intent": request.payment_reference, "amount": request.amount,
            "metadata": {TENANT_KEY: str(request.tenant_id), CASE_KEY: str(request.case_id),
                         REFUND_KEY: str(request.refund_id)}}
        refund = self._call(lambda: self._client.v1.refunds.create(
            params, {"idempotency_key": f"frontdesk-refund-{request.refund_id}"}))
        return ProviderRefund(provider=self.provider, reference=refund.id,
                              amount=int(refund.amount))

    def payment_metadata(self, payment_reference: str) -> dict[str, str]:
        intent = self._call(lambda: self._client.v1.payment_intents.retrieve(payment_reference))
        metadata: Any = intent.to_dict().get("metadata") or {}
        return {str(key): str(value) for key, value in metadata.items()}

    # -- resilience ---------------------------------------------------------------------------

    def _call(self, action: Callable[[], T]) -> T:
        retrying = Retrying(stop=stop_after_attempt(self._attempts),
                            wait=wait_exponential(multiplier=self._backoff, max=4.0),
                            retry=retry_if_exception(is_transient), reraise=True)
        try:
            return self.breaker.guard(lambda: retrying(action))
        except pybreaker.CircuitBreakerError:
            log.warning("stripe circuit open: failing fast")
            raise PaymentProviderUnavailable(
                "Stripe is unavailable (circuit open); retry later",
                retry_after=max(1, math.ceil(self.breaker.seconds_until_trial()))) from None
        except stripe.StripeError as error:
            if is_transient(error):
                log.warning("stripe unavailable: %s", type(error).__name__)
                raise PaymentProviderUnavailable("Stripe is unavailable; retry shortly",
                                                 retry_after=5) from error
            if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
                log.error("stripe refused our credentials: %s", type(error).__name__)
                raise PaymentProviderUnavailable("online payments are misconfigured",
                                                 retry_after=300) from error
            code = getattr(error, "code", None) or type(error).__name__
            raise PaymentProviderRefused(f"Stripe refused the request ({code})",
                                         provider_code=str(code)) from error
