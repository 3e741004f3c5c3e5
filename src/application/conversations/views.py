"""What clients see of a conversation: a snapshot after a command, a view from the read model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.ports import Page
from domain.conversations import Conversation, Message


@dataclass(frozen=True, slots=True)
class MessageView:
    id: UUID
    sequence: int
    direction: str
    author: str
    body: str
    at: datetime
    external_id: str | None
    delivery: str
    ai: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ConversationView:
    id: UUID
    contact_id: UUID
    channel: str
    status: str
    version: int
    subject: str | None
    agent_id: UUID | None
    handoff_reason: str | None
    disposition: str | None
    csat: int | None
    nps: int | None
    ai_turns: int
    message_count: int
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None
    messages: list[MessageView] = field(default_factory=list)

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationView:
        messages = [_message(m) for m in conversation.ordered_messages()]
        return cls(id=conversation.id, contact_id=conversation.contact_id,
                   channel=conversation.channel.value, status=conversation.status.value,
                   version=conversation.version, subject=conversation.subject,
                   agent_id=conversation.agent_id, handoff_reason=conversation.handoff_reason,
                   disposition=conversation.disposition, csat=conversation.csat,
                   nps=conversation.nps, ai_turns=conversation.ai_turns,
                   message_count=len(messages), created_at=conversation.created_on,
                   updated_at=conversation.modified_on,
                   last_message_at=messages[-1].at if messages else None, messages=messages)


def _message(message: Message) -> MessageView:
    return MessageView(id=message.id, sequence=message.sequence,
                       direction=message.direction.value, author=message.author,
                       body=message.body, at=message.at, external_id=message.external_id,
                       delivery=message.delivery.value)


@dataclass(frozen=True, slots=True)
class ConversationFilters:
    status: str | None = None
    channel: str | None = None
    contact_id: UUID | None = None
    agent_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class AiUsageRow:
    day: str
    provider: str
    replies: int
    tokens_in: int
    tokens_out: int
    cost_micros: int
    average_latency_ms: int


class ConversationQueries(Protocol):
    def get(self, tenant_id: UUID, conversation_id: UUID) -> ConversationView | None: ...

    def page(self, tenant_id: UUID, filters: ConversationFilters, *, limit: int,
             cursor: str | None) -> Page[ConversationView]: ...

    def ai_usage(self, tenant_id: UUID, *, since: str | None, until: str | None,
                 as_of: datetime | None = None) -> list[AiUsageRow]:
        """Per day and provider in [since, until] (ISO days, inclusive). ``as_of``: as it
        stood at that moment, recomputed from the events recorded up to it (ADR 0091)."""
        ...
