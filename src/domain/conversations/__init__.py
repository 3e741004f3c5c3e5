"""Conversations: messages over SMS, WhatsApp, voice, web chat and email; AI and human hand-off."""

from domain.conversations.assistant_settings import AssistantSettings
from domain.conversations.conversation import AiProvenance, Conversation
from domain.conversations.handoff import DEFAULT_HANDOFF_WORDS, HandoffReason, HandoffRules
from domain.conversations.messages import Call, Direction, Message
from domain.conversations.values import (
    AI_MAY_ANSWER,
    AI_MAY_DRAFT,
    STANDARD_DISPOSITIONS,
    Author,
    Channel,
    ConversationStatus,
    Delivery,
    DispositionCode,
    Rating,
)

__all__ = [
    "AI_MAY_ANSWER",
    "AI_MAY_DRAFT",
    "DEFAULT_HANDOFF_WORDS",
    "STANDARD_DISPOSITIONS",
    "AiProvenance",
    "AssistantSettings",
    "Author",
    "Call",
    "Channel",
    "Conversation",
    "ConversationStatus",
    "Delivery",
    "Direction",
    "DispositionCode",
    "HandoffReason",
    "HandoffRules",
    "Message",
    "Rating",
]
