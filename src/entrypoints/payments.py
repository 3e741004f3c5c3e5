"""Which payment gateway this process uses: Stripe when STRIPE_API_KEY is set, otherwise none
(manual payments only, online payment calls answer 503)."""

from __future__ import annotations

from adapters.payments.stripe_gateway import StripeGateway
from adapters.resilience import VendorCircuits
from application.cases.ports import NoPaymentGateway, PaymentGateway
from entrypoints.settings import Settings


def payment_gateway(settings: Settings, circuits: VendorCircuits) -> PaymentGateway:
    if not settings.stripe_api_key:
        circuits.not_configured("stripe")
        return NoPaymentGateway()
    public = settings.public_url or f"http://{settings.host}:{settings.port}"
    success = settings.stripe_success_url or f"{public.rstrip('/')}/paid"
    return StripeGateway(settings.stripe_api_key, api_base=settings.stripe_api_base,
                         success_url=success, timeout=settings.stripe_timeout,
                         circuits=circuits)
