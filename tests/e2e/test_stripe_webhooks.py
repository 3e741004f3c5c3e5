"""Stripe end to end: the real stripe SDK against a local fake Stripe server (payment pages,
refunds, payment-intent look-ups), and webhooks posted with signatures made the way Stripe
makes them. Redeliveries record once; bad signatures record nothing; an outage is a 503."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import TenantSession, stripe_api
from tests.fake_stripe import FakeStripe, sign
from tests.support_cases import QUOTE_TOTAL, accepted_case, events_of

SECRET = "whsec_test_frontdesk_0123456789"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeStripe]:
    stripe_fake = FakeStripe()
    server, base = stripe_fake.serve()
    stripe_fake.base = base  # type: ignore[attr-defined]
    yield stripe_fake
    server.shutdown()


@pytest.fixture(scope="module")
def stripe_client(owner_url: str, runtime: Any, fake: FakeStripe) -> Iterator[TestClient[Any]]:
    """The API of a second composition root on the same database, with Stripe configured."""
    with stripe_api(owner_url, api_key=fake.api_key, webhook_secret=SECRET,
                    api_base=fake.base,  # type: ignore[attr-defined]
                    timeout=5, backoff=0.01, fail_max=3, reset_timeout=3600) as client:
        yield client


@pytest.fixture
def shop(tenant: TenantSession, stripe_client: TestClient[Any]) -> TenantSession:
    """The tenant, talking to the Stripe-enabled API."""
    return TenantSession(tenant.id, tenant.slug, tenant.token, stripe_client)


def deliver(client: TestClient[Any], payload: bytes, *, secret: str = SECRET,
            timestamp: int | None = None, header: str | None = None) -> Any:
    signature = header if header is not None else sign(payload, secret, timestamp)
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["Stripe-Signature"] = signature
    return client.post("/v1/webhooks/stripe", content=payload, headers=headers)


def invoiced_with_link(shop: TenantSession, container: Any) -> tuple[str, dict[str, Any]]:
    case_id = accepted_case(shop, container)
    response = shop.post(f"/v1/cases/{case_id}/invoices",
                         json={"due_date": "2099-01-31", "payment_link": True})
    assert response.status_code == 201, response.text
    return case_id, response.json()["invoice"]


def session_of(fake: FakeStripe, invoice: dict[str, Any]) -> str:
    return next(s["id"] for s in fake.sessions.values() if s["url"] == invoice["payment_link"])


def payments(shop: TenantSession, case_id: str) -> list[dict[str, Any]]:
    return [e for e in events_of(shop, case_id) if e["type"] == "PaymentReceived"]


def test_an_invoice_gets_a_checkout_page_with_frontdesk_metadata(
        container: Any, shop: TenantSession, fake: FakeStripe) -> None:
    case_id, invoice = invoiced_with_link(shop, container)
    assert invoice["payment_link"].startswith("https://checkout.stripe.test/")
    [call] = [c for c in fake.calls("/v1/checkout/sessions")
              if c.params["metadata"]["frontdesk_case_id"] == case_id]
    assert call.headers["authorization"] == f"Bearer {fake.api_key}"
    assert call.headers["idempotency-key"].startswith("frontdesk-checkout-")
    metadata = {"frontdesk_tenant_id": shop.id, "frontdesk_case_id": case_id,
                "frontdesk_invoice_id": invoice["id"]}
    assert call.params["metadata"] == metadata
    assert call.params["payment_intent_data"]["metadata"] == metadata
    price = call.params["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == ("eur", str(QUOTE_TOTAL))
    assert call.params["mode"] == "payment"
    assert [e["type"] for e in events_of(shop, case_id)][-2:] == ["InvoiceIssued",
                                                                  "PaymentLinkCreated"]


def test_each_event_delivered_five_times_records_one_payment(
        container: Any, shop: TenantSession, fake: FakeStripe,
        stripe_client: TestClient[Any]) -> None:
    case_id, invoice = invoiced_with_link(shop, container)
    intent, _ = fake.pay(session_of(fake, invoice))
    completed = fake.event("checkout.session.completed", fake.sessions[session_of(fake,
                                                                                  invoice)])
    succeeded = fake.event("payment_intent.succeeded", fake.intents[intent])
    answers = [deliver(stripe_client, payload) for payload in [completed] * 5 + [succeeded] * 5]
    assert [a.json()["outcome"] for a in answers] == ["recorded"] + ["duplicate"] * 9
    [payment] = payments(shop, case_id)
    assert payment["data"]["external_reference"] == intent
    assert payment["data"]["amount"] == QUOTE_TOTAL
    assert payment["data"]["method"] == "stripe"
    assert payment["data"]["invoice_id"] == invoice["id"]
    assert payment["actor"] == "system:stripe-webhook"
    view = shop.read(f"/v1/cases/{case_id}", answers[0].headers["x-frontdesk-position"]).json()
    assert view["totals"]["paid"] == QUOTE_TOTAL and len(view["payments"]) == 1
    assert view["invoices"][0]["status"] == "paid"


def test_five_concurrent_deliveries_record_one_payment(
        container: Any, shop: TenantSession, fake: FakeStripe,
        stripe_client: TestClient[Any]) -> None:
    case_id, invoice = invoiced_with_link(shop, container)
    intent, _ = fake.pay(session_of(fake, invoice))
    payload = fake.event("payment_intent.succeeded", fake.intents[intent])
    answers: list[int] = []
    start = threading.Barrier(5)

    def post() -> None:
        start.wait()
        answers.append(deliver(stripe_client, payload).status_code)

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 5
    assert len(payments(shop, case_id)) == 1


def test_bad_missing_or_expired_signatures_are_400_and_record_nothing(
        container: Any, shop: TenantSession, fake: FakeStripe,
        stripe_client: TestClient[Any]) -> None:
    case_id, invoice = invoiced_with_link(shop, container)
    intent, _ = fake.pay(session_of(fake, invoice))
    payload = fake.event("payment_intent.succeeded", fake.intents[intent])
    before = events_of(shop, case_id)
    tampered = payload.replace(str(QUOTE_TOTAL).encode(), b"1", 1)
    attempts = [
        deliver(stripe_client, payload, secret="whsec_someone_else"),
        deliver(stripe_client, tampered, header=sign(payload, SECRET)),
        deliver(stripe_client, payload, header=""),
        deliver(stripe_client, payload, timestamp=int(time.time()) - 301),
        deliver(stripe_client, payload, header="v1=deadbeef"),
        deliver(stripe_client, payload, header="t=abc,v1=deadbeef"),
    ]
    for response in attempts:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert events_of(shop, case_id) == before
    within = deliver(stripe_client, payload, timestamp=int(time.time()) - 240)
    assert within.json()["outcome"] == "recorded"  # inside the 300 s tolerance


def test_refunds_through_frontdesk_and_the_dashboard_count_once_each(
        container: Any, shop: TenantSession, fake: FakeStripe,
        stripe_client: TestClient[Any]) -> None:
    case_id, invoice = invoiced_with_link(shop, container)
    intent, charge = fake.pay(session_of(fake, invoice))
    assert deliver(stripe_client, fake.event("payment_intent.succeeded", fake.intents[intent])
                   ).json()["outcome"] == "recorded"
    [payment] = payments(shop, case_id)
    refund = shop.post(f"/v1/cases/{case_id}/refunds", json={
        "payment_id": payment["data"]["payment_id"], "amount": 10000, "reason": "goodwill"})
    assert refund.status_code == 201, refund.text
    [call] = [c for c in fake.calls("/v1/refunds") if c.params["payment_intent"] == intent]
    assert call.params["amount"] == "10000"
    assert call.params["metadata"]["frontdesk_refund_id"] == refund.json()["refund_id"]
    assert call.headers["idempotency-key"] == f"frontdesk-refund-{refund.json()['refund_id']}"
    assert refund.json()["external_reference"] in fake.refunds
    # Stripe then reports the refund it made for us: already recorded.
    echoed = deliver(stripe_client, fake.event("charge.refunded", fake.charges[charge]))
    assert echoed.json()["outcome"] == "duplicate"
    # A refund made in the dashboard arrives only by webhook: recorded once.
    fake.refund_outside(charge, 2500)
    dashboard = fake.event("charge.refunded", fake.charges[charge])
    outcomes = [deliver(stripe_client, dashboard).json()["outcome"] for _ in range(3)]
    assert outcomes == ["recorded", "duplicate", "duplicate"]
    refunds = [e["data"] for e in events_of(shop, case_id) if e["type"] == "PaymentRefunded"]
    assert sorted(r["amount"] for r in refunds) == [2500, 10000]
    too_much = shop.post(f"/v1/cases/{case_id}/refunds", json={
        "payment_id": payment["data"]["payment_id"], "amount": QUOTE_TOTAL})
    assert too_much.status_code == 409  # refused before Stripe is asked
    assert len([c for c in fake.calls("/v1/refunds") if c.params["payment_intent"] == intent]
               ) == 1


def test_a_dispute_is_traced_to_its_payment_and_recorded_once(
        container: Any, shop: TenantSession, fake: FakeStripe,
        stripe_client: TestClient[Any]) -> None:
    case_id, invoice = invoiced_with_link(shop, container)
    intent, charge = fake.pay(session_of(fake, invoice))
    paid = deliver(stripe_client, fake.event("payment_intent.succeeded", fake.intents[intent]))
    dispute = {"id": "dp_test_1" + case_id[:8], "object": "dispute", "amount": 20000,
               "currency": "eur", "charge": charge, "payment_intent": intent,
               "reason": "fraudulent", "status": "needs_response", "metadata": {}}
    payload = fake.event("charge.dispute.created", dispute)
    assert [deliver(stripe_client, payload).json()["outcome"] for _ in range(2)] == [
        "recorded", "duplicate"]
    assert fake.calls(f"/v1/payment_intents/{intent}")  # metadata read from Stripe
    [disputed] = [e["data"] for e in events_of(shop, case_id) if e["type"] == "PaymentDisputed"]
    assert (disputed["amount"], disputed["reason"]) == (20000, "fraudulent")
    view = shop.read(f"/v1/cases/{case_id}", paid.headers["x-frontdesk-position"]).json()
    assert view["status"] == "in_progress"


def test_a_refund_before_its_payment_is_refused_until_the_payment_arrives(
        container: Any, shop: TenantSession, fake: FakeStripe,
        stripe_client: TestClient[Any]) -> None:
    case_id, invoice = invoiced_with_link(shop, container)
    intent, charge = fake.pay(session_of(fake, invoice))
    fake.refund_outside(charge, 1_000)
    early = fake.event("charge.refunded", fake.charges[charge])
    refused = deliver(stripe_client, early)
    assert refused.status_code == 409  # Stripe will deliver it again
    assert refused.json()["type"].endswith("/payment-not-recorded-yet")
    assert deliver(stripe_client, fake.event("payment_intent.succeeded", fake.intents[intent])
                   ).json()["outcome"] == "recorded"
    assert deliver(stripe_client, early).json()["outcome"] == "recorded"
    assert [e["type"] for e in events_of(shop, case_id)][-2:] == ["PaymentReceived",
                                                                  "PaymentRefunded"]


def test_a_stripe_outage_is_a_503_that_records_nothing_then_recovers(
        container: Any, shop: TenantSession, fake: FakeStripe) -> None:
    case_id = accepted_case(shop, container)
    before = events_of(shop, case_id)
    sessions = len(fake.sessions)
    fake.fail_next(3, status=503)
    down = shop.post(f"/v1/cases/{case_id}/invoices",
                     json={"due_date": "2099-01-31", "payment_link": True},
                     headers={"Idempotency-Key": "invoice-once"})
    assert down.status_code == 503, down.text
    assert down.headers["content-type"].startswith("application/problem+json")
    assert int(down.headers["retry-after"]) > 0
    assert events_of(shop, case_id) == before and len(fake.sessions) == sessions
    fake.fail_next(1, status=500, after_work=True)  # Stripe did it but the answer was lost
    again = shop.post(f"/v1/cases/{case_id}/invoices",
                      json={"due_date": "2099-01-31", "payment_link": True},
                      headers={"Idempotency-Key": "invoice-once"})
    assert again.status_code == 201, again.text
    assert len(fake.sessions) == sessions + 1  # the retry reused the idempotency key
    assert [e["type"] for e in events_of(shop, case_id)][len(before):] == [
        "InvoiceIssued", "PaymentLinkCreated"]


def test_events_that_do_not_map_are_acknowledged_and_ignored(
        container: Any, shop: TenantSession, other_tenant: TenantSession, fake: FakeStripe,
        stripe_client: TestClient[Any]) -> None:
    case_id = accepted_case(shop, container)
    foreign = {"id": "pi_test_foreign", "object": "payment_intent", "amount": 100,
               "amount_received": 100, "currency": "eur",
               "metadata": {"frontdesk_tenant_id": other_tenant.id,
                            "frontdesk_case_id": case_id}}
    answers = [
        deliver(stripe_client, fake.event("payment_intent.succeeded", foreign)).json(),
        deliver(stripe_client, fake.event("customer.created", {"id": "cus_1"})).json(),
        deliver(stripe_client, fake.event("payment_intent.succeeded",
                                          {**foreign, "metadata": {}})).json(),
    ]
    assert [a["outcome"] for a in answers] == ["ignored"] * 3
    assert [e["type"] for e in events_of(shop, case_id)] == ["CaseOpened", "QuoteIssued",
                                                             "QuoteAccepted"]


def test_without_stripe_configured_online_calls_are_503(container: Any,
                                                        tenant: TenantSession) -> None:
    case_id = accepted_case(tenant, container)
    link = tenant.post(f"/v1/cases/{case_id}/invoices",
                       json={"due_date": "2099-01-31", "payment_link": True})
    assert link.status_code == 503 and "STRIPE_API_KEY" in link.json()["detail"]
    payload = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded",
                          "data": {"object": {}}}).encode()
    hook = tenant.client.post("/v1/webhooks/stripe", content=payload,
                              headers={"Stripe-Signature": sign(payload, SECRET)})
    assert hook.status_code == 503
    paid = tenant.post(f"/v1/cases/{case_id}/payments",
                       json={"amount": 100, "currency": "EUR", "method": "cash"})
    assert paid.status_code == 201  # manual payments still work
