"""The outbox: every outbound message is first an event (MessageSent, delivery ``queued``), in
the same commit as whatever produced it; a dispatcher following the log sends it and records the
outcome (ADR 0023).

Never lost: a message stays queued until a vendor accepted it or refused it for good; while the
vendor is down the dispatcher raises and its runner retries the same events later, in order.
Never twice: the attempt is recorded *before* the vendor is called; a queued message with an
attempt but no outcome (a crash or a timeout between the vendor's acceptance and our record) is
first looked up at the vendor, and resent only if the vendor never got it.
"""

from __future__ import annotations

import logging
from typing import Any

from application.bus import CommandBus
from application.conversations.commands import BeginDispatch, RecordDelivery
from application.conversations.ports import (
    DeliveryRefused,
    MessageTransport,
    OutboundMessage,
    Receipt,
)
from application.conversations.reachability import CONSENT_CHANNEL
from application.ports import CommandContext, UnitOfWorkFactory
from domain.contacts import Contact
from domain.conversations import Channel, Conversation, Delivery

ACTOR = "system:outbox"
log = logging.getLogger("frontdesk.outbox")


class OutboxDispatcher:
    event_classes = (Conversation.MessageSent,)

    def __init__(self, transport: MessageTransport, uows: UnitOfWorkFactory,
                 bus: CommandBus) -> None:
        self.transport = transport
        self.name = f"outbox-{transport.name}"
        self._uows, self._bus = uows, bus

    def handle(self, event: Any) -> None:
        if event.delivery != Delivery.QUEUED.value or event.channel not in self.transport.channels:
            return
        uow = self._uows(event.tenant_id)
        conversation = uow.get(Conversation, event.originator_id)
        message = conversation.message(event.message_id)
        if message.delivery is not Delivery.QUEUED:
            return  # done before (a replay of the log after a crash)
        ctx = CommandContext(tenant_id=event.tenant_id, actor=ACTOR)
        outbound = OutboundMessage(
            tenant_id=event.tenant_id, conversation_id=conversation.id, message_id=message.id,
            channel=conversation.channel.value, to=conversation.customer_address or "",
            sender=conversation.our_address, body=message.body,
            subject=_subject(conversation), in_reply_to=message.in_reply_to)
        if message.attempts and message.attempted_at is not None:
            found = self.transport.find_sent(outbound, message.attempted_at)
            if found is not None:
                log.info("outbox %s: an earlier attempt reached the vendor", self.name)
                self._outcome(ctx, outbound, found.status, found.external_id, None)
                return
        contact = uow.get(Contact, conversation.contact_id)
        consent = CONSENT_CHANNEL.get(conversation.channel)
        if contact.erased or (consent and contact.consents.get(consent) is False):
            self._outcome(ctx, outbound, Delivery.FAILED, None, "the contact opted out")
            return
        if not outbound.to:
            self._outcome(ctx, outbound, Delivery.FAILED, None, "no address for the contact")
            return
        self._bus.execute(BeginDispatch(conversation.id, message.id), ctx)
        try:
            receipt: Receipt = self.transport.send(outbound)
        except DeliveryRefused as refused:
            self._outcome(ctx, outbound, Delivery.FAILED, None, str(refused))
            return
        # TransportUnavailable propagates: the runner retries later, reconciling first.
        self._outcome(ctx, outbound, receipt.status, receipt.external_id, None)

    def _outcome(self, ctx: CommandContext, outbound: OutboundMessage, status: Delivery,
                 external_id: str | None, error: str | None) -> None:
        self._bus.execute(RecordDelivery(
            outbound.conversation_id, outbound.message_id, status.value, external_id, error), ctx)


def _subject(conversation: Conversation) -> str | None:
    if conversation.channel is not Channel.EMAIL:
        return None
    subject = conversation.subject or "Your enquiry"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"
