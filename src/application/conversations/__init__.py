"""Conversations: commands, handlers, the AI assistant, the outbox, queries."""

from application.conversations.assistant import (
    AiAssistant,
    DraftEvent,
    DraftStarted,
    DraftStored,
    ReplyEvent,
    ReplyStarted,
    ReplyStored,
)
from application.conversations.context import ContextBuilder
from application.conversations.inbound import Received, ReceiveInboundHandler, RecordCallHandler
from application.conversations.outbox import OutboxDispatcher
from application.conversations.ports import (
    AssistantSettingsSource,
    LanguageModel,
    ModelUnavailable,
    Retriever,
)
from application.conversations.views import ConversationQueries, ConversationView

__all__ = [
    "AiAssistant",
    "AssistantSettingsSource",
    "ContextBuilder",
    "ConversationQueries",
    "ConversationView",
    "DraftEvent",
    "DraftStarted",
    "DraftStored",
    "LanguageModel",
    "ModelUnavailable",
    "OutboxDispatcher",
    "ReceiveInboundHandler",
    "Received",
    "RecordCallHandler",
    "ReplyEvent",
    "ReplyStarted",
    "ReplyStored",
    "Retriever",
]
