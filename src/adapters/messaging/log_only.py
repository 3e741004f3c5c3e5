"""The default when a vendor is not configured: record what would have been sent, send nothing.

The message's delivery becomes ``logged`` (an event), so the outbox moves on and the
conversation shows that nothing left the building. Logs carry ids and sizes, never the text."""

from __future__ import annotations

import logging
from datetime import datetime

from application.conversations.ports import OutboundMessage, Receipt
from domain.conversations import Delivery

log = logging.getLogger("frontdesk.outbox")


class LogOnlyTransport:
    def __init__(self, name: str, channels: frozenset[str]) -> None:
        self.name, self.channels = name, channels

    def send(self, message: OutboundMessage) -> Receipt:
        log.info("log-only %s: would send message %s of conversation %s (%d characters)",
                 message.channel, message.message_id, message.conversation_id,
                 len(message.body))
        return Receipt(external_id=f"logged-{message.message_id}", status=Delivery.LOGGED)

    def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        return None
