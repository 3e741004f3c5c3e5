"""Conversation commands. Actions on an existing conversation carry the If-Match version."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.conversations import AiProvenance


@dataclass(frozen=True, slots=True)
class StartConversation:
    contact_id: UUID
    channel: str
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class PostMessage:
    """A message written through the API: the customer's (web chat) or an agent's."""

    conversation_id: UUID
    expected_version: int | None
    author: str
    body: str
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiveInbound:
    """A customer wrote through a vendor (Twilio, inbound email)."""

    channel: str
    sender: str
    recipient: str | None
    body: str
    external_id: str | None
    sender_name: str | None = None
    subject: str | None = None
    thread_ids: tuple[str, ...] = ()
    media_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordCall:
    """A Twilio voice status callback."""

    call_sid: str
    status: str
    customer: str
    ours: str | None
    direction: str | None
    duration_seconds: int | None
    recording_url: str | None


@dataclass(frozen=True, slots=True)
class HandOff:
    conversation_id: UUID
    expected_version: int | None
    reason: str | None = None
    code: str = "agent_request"


@dataclass(frozen=True, slots=True)
class JoinConversation:
    conversation_id: UUID
    expected_version: int | None


@dataclass(frozen=True, slots=True)
class ResolveConversation:
    conversation_id: UUID
    expected_version: int | None
    disposition: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RecordSurvey:
    conversation_id: UUID
    expected_version: int | None
    kind: str  # "csat" | "nps"
    score: int
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class RecordAiReply:
    conversation_id: UUID
    message_id: UUID
    body: str
    provenance: AiProvenance


@dataclass(frozen=True, slots=True)
class RecordAiDraft:
    """A reply the assistant drafted for the person working the conversation (not sent)."""

    conversation_id: UUID
    draft_id: UUID
    text: str
    provenance: AiProvenance


@dataclass(frozen=True, slots=True)
class BeginDispatch:
    conversation_id: UUID
    message_id: UUID


@dataclass(frozen=True, slots=True)
class RecordDelivery:
    conversation_id: UUID
    message_id: UUID
    status: str
    external_id: str | None
    error: str | None = None
