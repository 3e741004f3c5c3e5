"""One contract for the PaymentGateway port, passed by the Stripe adapter (the real stripe SDK
against the local fake Stripe server) and by the in-memory fake the application tests use;
then the Stripe adapter's resilience: retries with backoff on transient errors, idempotency
keys that make a retry harmless, and a circuit breaker (pybreaker, in real time) that fails
fast while Stripe is down and lets a trial call through after its reset timeout."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from uuid import uuid4

import pytest

from adapters.payments.stripe_gateway import StripeGateway
from application.cases.ports import (
    CheckoutRequest,
    PaymentGateway,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
    RefundRequest,
)
from tests.fake_stripe import FakeStripe
from tests.payments_fakes import FakePaymentGateway
from tests.vendors import CircuitTransitions


@dataclass
class Backend:
    gateway: PaymentGateway
    pay: Callable[[str], str]  # checkout reference -> payment reference


@pytest.fixture(scope="module")
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    server, base = fake.serve()
    fake.base = base  # type: ignore[attr-defined]
    yield fake
    server.shutdown()


def stripe_gateway(fake: FakeStripe, **options: object) -> StripeGateway:
    return StripeGateway(fake.api_key, api_base=fake.base,  # type: ignore[attr-defined]
                         success_url="http://127.0.0.1/paid", timeout=5, backoff=0.01,
                         **options)  # type: ignore[arg-type]


@pytest.fixture(params=["stripe-sdk", "in-memory"])
def backend(request: pytest.FixtureRequest, fake_stripe: FakeStripe) -> Backend:
    if request.param == "stripe-sdk":
        return Backend(stripe_gateway(fake_stripe), lambda ref: fake_stripe.pay(ref)[0])
    fake = FakePaymentGateway()
    return Backend(fake, fake.pay)


def checkout(key: str = "k1", amount: int = 12_345) -> CheckoutRequest:
    return CheckoutRequest(tenant_id=uuid4(), case_id=uuid4(), invoice_id=uuid4(),
                           amount=amount, currency="EUR", description="Invoice 1",
                           idempotency_key=key + uuid4().hex)


def test_a_checkout_page_is_made_once_per_idempotency_key(backend: Backend) -> None:
    request = checkout()
    link = backend.gateway.create_checkout(request)
    assert link.provider == "stripe" and link.url.startswith("https://")
    assert backend.gateway.create_checkout(request) == link
    assert backend.gateway.create_checkout(checkout()).reference != link.reference


def test_a_paid_page_carries_the_frontdesk_metadata(backend: Backend) -> None:
    request = checkout()
    payment = backend.pay(backend.gateway.create_checkout(request).reference)
    assert backend.gateway.payment_metadata(payment) == {
        "frontdesk_tenant_id": str(request.tenant_id),
        "frontdesk_case_id": str(request.case_id),
        "frontdesk_invoice_id": str(request.invoice_id)}


def test_refunds_up_to_what_was_paid(backend: Backend) -> None:
    request = checkout(amount=1_000)
    payment = backend.pay(backend.gateway.create_checkout(request).reference)

    def refund(amount: int) -> RefundRequest:
        return RefundRequest(tenant_id=request.tenant_id, case_id=request.case_id,
                             refund_id=uuid4(), payment_reference=payment, amount=amount,
                             currency="EUR")

    done = backend.gateway.refund(refund(600))
    assert done.amount == 600 and done.reference
    with pytest.raises(PaymentProviderRefused):
        backend.gateway.refund(refund(401))


def test_transient_errors_are_retried_with_the_same_idempotency_key(
        fake_stripe: FakeStripe) -> None:
    gateway = stripe_gateway(fake_stripe)
    before = len(fake_stripe.sessions)
    fake_stripe.fail_next(1, status=500, after_work=True)  # done at Stripe, answer lost
    fake_stripe.fail_next(1, status=429)
    request = checkout()
    link = gateway.create_checkout(request)
    attempts = [c for c in fake_stripe.calls("/v1/checkout/sessions")
                if c.params["client_reference_id"] == str(request.invoice_id)]
    assert len(attempts) == 3
    assert len({c.headers["idempotency-key"] for c in attempts}) == 1
    assert len(fake_stripe.sessions) == before + 1 and link.reference in fake_stripe.sessions


def test_refusals_are_not_retried(fake_stripe: FakeStripe) -> None:
    gateway = stripe_gateway(fake_stripe)
    before = len(fake_stripe.calls("/v1/refunds"))
    with pytest.raises(PaymentProviderRefused):
        gateway.refund(RefundRequest(tenant_id=uuid4(), case_id=uuid4(), refund_id=uuid4(),
                                     payment_reference="pi_missing", amount=1, currency="EUR"))
    assert len(fake_stripe.calls("/v1/refunds")) == before + 1
    assert (gateway.breaker.current_state, gateway.breaker.fail_counter) == ("closed", 0)


def test_the_circuit_opens_fails_fast_and_closes_after_a_good_trial(
        fake_stripe: FakeStripe) -> None:
    gateway = stripe_gateway(fake_stripe, attempts=2, fail_max=2, reset_timeout=0.3)
    transitions = CircuitTransitions()
    gateway.breaker.add_listener(transitions)
    fake_stripe.fail_next(4, status=503)
    for _ in range(2):
        with pytest.raises(PaymentProviderUnavailable):
            gateway.create_checkout(checkout())
    assert gateway.breaker.current_state == "open"
    sent = len(fake_stripe.requests)
    with pytest.raises(PaymentProviderUnavailable) as fast:
        gateway.create_checkout(checkout())
    assert len(fake_stripe.requests) == sent  # failed fast: Stripe was not called
    assert "circuit open" in fast.value.message and fast.value.retry_after == 1
    time.sleep(gateway.breaker.seconds_until_trial() + 0.05)
    fake_stripe.fail_next(2, status=503)  # the first trial fails: open again
    with pytest.raises(PaymentProviderUnavailable):
        gateway.create_checkout(checkout())
    assert len(fake_stripe.requests) == sent + 2
    time.sleep(gateway.breaker.seconds_until_trial() + 0.05)
    gateway.create_checkout(checkout())  # the second trial succeeds
    assert transitions.seen == ["open", "half-open", "open", "half-open", "closed"]


def test_a_refusal_as_the_trial_call_closes_the_circuit(fake_stripe: FakeStripe) -> None:
    gateway = stripe_gateway(fake_stripe, attempts=1, fail_max=1, reset_timeout=0.3)
    fake_stripe.fail_next(1, status=500)
    with pytest.raises(PaymentProviderUnavailable):
        gateway.create_checkout(checkout())
    assert gateway.breaker.current_state == "open"
    time.sleep(gateway.breaker.seconds_until_trial() + 0.05)
    with pytest.raises(PaymentProviderRefused):  # Stripe answers: it is up
        gateway.refund(RefundRequest(tenant_id=uuid4(), case_id=uuid4(), refund_id=uuid4(),
                                     payment_reference="pi_missing", amount=1, currency="EUR"))
    assert gateway.breaker.current_state == "closed"


def test_a_wrong_api_key_is_unavailability_not_a_refusal(fake_stripe: FakeStripe) -> None:
    gateway = StripeGateway("sk_test_wrong", api_base=fake_stripe.base,  # type: ignore[attr-defined]
                            success_url="http://127.0.0.1/paid", backoff=0.01)
    with pytest.raises(PaymentProviderUnavailable, match="misconfigured"):
        gateway.create_checkout(checkout())
