"""The outbox (ADR 0023): a message accepted while Twilio is down is sent once it is back, and
a crash between Twilio accepting a message and our recording it never sends it twice."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest

from application.conversations.commands import BeginDispatch
from application.conversations.ports import OutboundMessage, TransportUnavailable
from application.ports import CommandContext
from domain.conversations import Conversation, Delivery
from tests.conftest import TenantSession
from tests.conversation_fixtures import drain_outbox
from tests.e2e.test_webhooks import OUR_NUMBER, conversations, phone, sms
from tests.vendors import FakeTwilio


def queued_reply(desk: TenantSession) -> tuple[UUID, UUID, str, str]:
    number = phone()
    position = sms(desk, number, "Hello").headers["x-frontdesk-position"]
    [conversation] = conversations(desk, position)
    body = f"Reply {uuid.uuid4().hex[:8]}"
    posted = desk.post(f"/v1/conversations/{conversation['id']}/messages",
                       json={"author": "agent", "body": body})
    view = posted.json()
    # Readers see an event once every older transaction has ended; on a busy machine a
    # projection's batch may still hold one back. Once the read models show the reply, the
    # outbox's reader sees it too, so the test's first dispatch really tries to send it.
    desk.read(f"/v1/conversations/{conversation['id']}", posted.headers["x-frontdesk-position"])
    return UUID(conversation["id"]), UUID(view["messages"][-1]["id"]), number, body


def message_state(container: Any, tenant: str, conversation: UUID, message: UUID) -> Any:
    uow = container.unit_of_work()(UUID(tenant))
    return uow.get(Conversation, conversation).message(message)


def test_a_message_accepted_while_twilio_is_down_is_sent_once_later(
        desk: TenantSession, vendor_container: Any, fake_twilio: FakeTwilio) -> None:
    conversation, message, number, body = queued_reply(desk)
    fake_twilio.fail_with = 503
    try:
        with pytest.raises(TransportUnavailable):
            drain_outbox(vendor_container)
        with pytest.raises(TransportUnavailable):  # retried later: still down, still queued
            drain_outbox(vendor_container)
    finally:
        fake_twilio.fail_with = None
    state = message_state(vendor_container, desk.id, conversation, message)
    assert state.delivery is Delivery.QUEUED and state.attempts >= 1
    assert [m for m in fake_twilio.messages if m.body == body] == []
    vendor_container.conversations.sms_transport().breaker.close()
    drain_outbox(vendor_container)
    drain_outbox(vendor_container)
    sent = [m for m in fake_twilio.messages if m.body == body]
    assert len(sent) == 1 and sent[0].to == number
    state = message_state(vendor_container, desk.id, conversation, message)
    assert (state.delivery, state.external_id) == (Delivery.SENT, sent[0].sid)


def test_a_crash_after_twilio_accepted_is_reconciled_not_resent(
        desk: TenantSession, vendor_container: Any, fake_twilio: FakeTwilio) -> None:
    conversation, message, number, body = queued_reply(desk)
    c = vendor_container.conversations
    ctx = CommandContext(tenant_id=UUID(desk.id), actor="system:outbox")
    # The dispatcher's first two steps, then the process dies before recording the outcome:
    vendor_container.bus().execute(BeginDispatch(conversation, message), ctx)
    accepted = c.sms_transport().send(OutboundMessage(
        tenant_id=UUID(desk.id), conversation_id=conversation, message_id=message,
        channel="sms", to=number, sender=OUR_NUMBER, body=body))
    assert len([m for m in fake_twilio.messages if m.body == body]) == 1
    drain_outbox(vendor_container)  # a fresh dispatcher after the restart
    assert len([m for m in fake_twilio.messages if m.body == body]) == 1
    state = message_state(vendor_container, desk.id, conversation, message)
    assert (state.delivery, state.external_id, state.attempts) == (
        Delivery.SENT, accepted.external_id, 1)
    listed = [r for r in fake_twilio.received("/Messages.json") if r["method"] == "GET"]
    assert listed, "the dispatcher asked Twilio before resending"
