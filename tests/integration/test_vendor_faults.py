"""Vendor faults in one place (SPEC §7, ADR 0050), for the language models, Twilio and Stripe:
a vendor that times out opens its circuit after the threshold; while the circuit is open,
callers fail fast without reaching the vendor; the LLM chain falls back to the offline
assistant; a message queued in the outbox is sent exactly once after the vendor recovers,
through a real half-open trial. The vendor SDKs talk to the local fake servers (loopback, short
timeouts, real time).

Vendors that *fail* (5xx) are covered beside each adapter and not repeated here:
test_llm_contract (retries, fallback along the chain, an open circuit stops calling, 503 when
every provider is down), test_payment_gateway_contract (Stripe's circuit: open, half-open,
open, half-open, closed; a refusal is not a failure), test_outbox (a message queued while
Twilio answers 503 is sent once later; a crash after Twilio accepted is reconciled, not resent).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pybreaker
import pytest

from adapters.llm.chain import ProviderChain
from adapters.llm.local_model import OfflineAssistant
from adapters.llm.pricing import PriceList
from adapters.messaging.twilio_sms import TwilioMessaging
from adapters.payments.stripe_gateway import StripeGateway
from application.cases.ports import PaymentProviderUnavailable
from application.conversations.outbox import OutboxDispatcher
from application.conversations.ports import Delta, Finished, TransportUnavailable
from domain.conversations import Delivery
from tests.conftest import TenantSession
from tests.conversation_fixtures import TWILIO_SID, TWILIO_TOKEN, drain_outbox
from tests.fake_stripe import FakeStripe
from tests.integration.test_llm_contract import PROMPT, openai_model
from tests.integration.test_outbox import message_state, queued_reply
from tests.vendors import CircuitTransitions, FakeOpenAI, FakeTwilio

TIMEOUT, STALL = 0.3, 1.0  # the client gives up long before the stalled vendor would answer


@pytest.fixture(scope="module")
def slow_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    server, fake.base = fake.serve()  # type: ignore[attr-defined]
    yield fake
    server.shutdown()


def wait_for_trial(breaker: Any) -> None:
    time.sleep(breaker.seconds_until_trial() + 0.05)


# -- language models ------------------------------------------------------------------------


def test_a_model_timing_out_is_skipped_while_open_and_used_again_after_a_trial(
        fake_openai: FakeOpenAI) -> None:
    chain = ProviderChain([("openai", openai_model(fake_openai, timeout=TIMEOUT)),
                           ("local", OfflineAssistant())],
                          prices=PriceList(), attempts=1, fail_max=2, reset_timeout=0.5)
    transitions = CircuitTransitions()
    chain.providers[0].breaker.add_listener(transitions)
    fake_openai.stall = STALL
    try:
        timed_out = [list(chain.stream(PROMPT))[-1] for _ in range(2)]
        assert chain.circuits()["openai"] == "open"
        calls = len(fake_openai.received("/chat/completions"))
        while_open = list(chain.stream(PROMPT))
        assert len(fake_openai.received("/chat/completions")) == calls  # not even tried
    finally:
        fake_openai.stall = 0.0
    for answer in (*timed_out, while_open[-1]):
        assert isinstance(answer, Finished)
        assert (answer.provider, answer.fallbacks) == ("local", ("openai",))
    assert "offline assistant" in "".join(i.text for i in while_open if isinstance(i, Delta))
    wait_for_trial(chain.providers[0].breaker)
    recovered = list(chain.stream(PROMPT))[-1]
    assert isinstance(recovered, Finished)
    assert (recovered.provider, recovered.fallbacks) == ("openai", ())
    assert transitions.seen == ["open", "half-open", "closed"]


# -- Twilio and the outbox ------------------------------------------------------------------


@pytest.mark.parametrize("answer_lost", [False, True], ids=["never-got-it", "answer-lost"])
def test_a_message_queued_while_twilio_times_out_is_sent_exactly_once_after_it_recovers(
        answer_lost: bool, desk: TenantSession, vendor_container: Any,
        fake_twilio: FakeTwilio) -> None:
    drain_outbox(vendor_container)  # nothing of other tests waits ahead of this message
    conversation, message, number, body = queued_reply(desk)
    transport = TwilioMessaging(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN,
                                api_base=fake_twilio.url, timeout=TIMEOUT, public_url=None,
                                tenant_slug=lambda _: None, fail_max=2, reset_timeout=0.5)
    transitions = CircuitTransitions()
    transport.breaker.add_listener(transitions)
    outbox = [OutboxDispatcher(transport, vendor_container.unit_of_work(),
                               vendor_container.bus())]
    fake_twilio.stall, fake_twilio.stall_after_work = STALL, answer_lost
    try:
        for _ in range(2):  # the send times out, then the look-up before a resend does
            with pytest.raises(TransportUnavailable):
                drain_outbox(vendor_container, outbox)
        assert transport.breaker.current_state == "open"
        calls = len(fake_twilio.requests)
        with pytest.raises(TransportUnavailable) as fast:
            drain_outbox(vendor_container, outbox)
        assert isinstance(fast.value.__cause__, pybreaker.CircuitBreakerError)
        assert len(fake_twilio.requests) == calls  # Twilio was not called
    finally:
        fake_twilio.stall, fake_twilio.stall_after_work = 0.0, False
    state = message_state(vendor_container, desk.id, conversation, message)
    assert (state.delivery, state.attempts) == (Delivery.QUEUED, 1)
    assert len([m for m in fake_twilio.messages if m.body == body]) == int(answer_lost)
    wait_for_trial(transport.breaker)
    drain_outbox(vendor_container, outbox)
    drain_outbox(vendor_container, outbox)
    sent = [m for m in fake_twilio.messages if m.body == body]
    assert len(sent) == 1 and sent[0].to == number
    state = message_state(vendor_container, desk.id, conversation, message)
    assert (state.delivery, state.external_id) == (Delivery.SENT, sent[0].sid)
    assert transitions.seen == ["open", "half-open", "closed"]


# -- Stripe ---------------------------------------------------------------------------------


def stripe(fake: FakeStripe, **options: Any) -> StripeGateway:
    return StripeGateway(fake.api_key, api_base=fake.base,  # type: ignore[attr-defined]
                         success_url="http://127.0.0.1/paid", backoff=0.01, **options)


def test_stripe_timing_out_opens_its_circuit_and_payment_calls_fail_fast(
        slow_stripe: FakeStripe) -> None:
    gateway = stripe(slow_stripe, timeout=TIMEOUT, attempts=2, fail_max=2, reset_timeout=3600)
    before = len(slow_stripe.requests)
    slow_stripe.stall = STALL
    try:
        with pytest.raises(PaymentProviderUnavailable) as timed_out:
            gateway.payment_metadata("pi_test_slow")
        assert len(slow_stripe.requests) == before + 2  # retried once, then given up
        assert timed_out.value.retry_after == 5 and gateway.breaker.current_state == "closed"
        with pytest.raises(PaymentProviderUnavailable) as tripped:
            gateway.payment_metadata("pi_test_slow")
        assert gateway.breaker.current_state == "open"
        calls = len(slow_stripe.requests)
        with pytest.raises(PaymentProviderUnavailable) as fast:
            gateway.payment_metadata("pi_test_slow")
        assert len(slow_stripe.requests) == calls  # Stripe was not called
    finally:
        slow_stripe.stall = 0.0
    for error in (tripped.value, fast.value):
        assert "circuit open" in error.message and error.retry_after > 3000


def test_a_slow_stripe_call_does_not_hold_back_the_next_one(slow_stripe: FakeStripe) -> None:
    """The breaker's lock is not held during the call (pybreaker's ``call`` would hold it):
    a second request reaches Stripe while the first one still waits for its answer."""
    gateway = stripe(slow_stripe, timeout=1.0, attempts=1)
    before = len(slow_stripe.requests)
    returned = threading.Event()

    def call() -> None:
        with contextlib.suppress(PaymentProviderUnavailable):
            gateway.payment_metadata("pi_test_slow")
        returned.set()

    def reached_stripe(count: int) -> bool:
        while len(slow_stripe.requests) < before + count and not returned.is_set():
            time.sleep(0.01)
        return len(slow_stripe.requests) == before + count

    callers = [threading.Thread(target=call) for _ in range(2)]
    slow_stripe.stall = 2.0
    try:
        callers[0].start()
        assert reached_stripe(1)
        callers[1].start()
        both_in_flight = reached_stripe(2) and not returned.is_set()
    finally:
        slow_stripe.stall = 0.0
        for caller in callers:
            if caller.is_alive():
                caller.join()
    assert both_in_flight, "the second call waited for the first one to come back"
