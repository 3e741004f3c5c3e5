"""Auto-reply: when a tenant turns it on, the assistant answers inbound SMS, WhatsApp and email
by itself (nobody is there to ask for the reply); the answer leaves through the outbox.

A log consumer: it answers the latest customer message of a conversation the assistant may
answer, once — a replay after a crash finds an answer after that message and does nothing.
When no model is available the conversation is handed to a person instead of waiting.
"""

from __future__ import annotations

import logging
from typing import Any

from application.conversations.assistant import AiAssistant
from application.conversations.ports import AssistantSettingsSource
from application.ports import CommandContext, UnitOfWorkFactory
from domain.conversations import AI_MAY_ANSWER, Channel, Conversation, Direction
from domain.shared import DomainError

ACTOR = "system:auto-reply"
CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.EMAIL})
log = logging.getLogger("frontdesk.auto_reply")


class AutoReply:
    name = "auto-reply"
    event_classes = (Conversation.MessageReceived,)

    def __init__(self, assistant: AiAssistant, uows: UnitOfWorkFactory,
                 settings: AssistantSettingsSource) -> None:
        self._assistant, self._uows = assistant, uows
        self._settings = settings

    def handle(self, event: Any) -> None:
        if not self._settings.for_tenant(event.tenant_id).auto_reply:
            return
        conversation = self._uows(event.tenant_id).get(Conversation, event.originator_id)
        message = conversation.messages.get(event.message_id)
        if (message is None or conversation.channel not in CHANNELS
                or conversation.status not in AI_MAY_ANSWER):
            return
        if any(m.sequence > message.sequence for m in conversation.messages.values()):
            return  # answered already, or a later message will be answered
        if message.direction is not Direction.INBOUND:
            return
        ctx = CommandContext(tenant_id=event.tenant_id, actor=ACTOR)
        try:
            for _ in self._assistant.reply_or_hand_off(ctx, conversation.id):
                pass
        except DomainError as refused:  # changed meanwhile (an agent joined, STOP)
            log.info("auto-reply skipped: %s", refused.message)
