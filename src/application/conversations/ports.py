"""Ports of the conversations context: the language model, knowledge retrieval, token counting,
tenant settings and the outbound transports (Twilio, SMTP)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

from domain.conversations import AssistantSettings, Delivery

# -- the language model ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Passage:
    """A knowledge-base passage (or, later, a memory) found for a question."""

    ref: str
    title: str
    text: str
    score: float
    kind: Literal["knowledge", "memory"] = "knowledge"


@dataclass(frozen=True, slots=True)
class PromptMessage:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class Prompt:
    """Everything a model is given. ``passages`` and ``question`` are there for the offline
    assistant, which answers from them with templates; the others read ``system``."""

    system: str
    messages: tuple[PromptMessage, ...]
    question: str
    passages: tuple[Passage, ...] = ()
    retrieval_confidence: float = 0.0
    assistant_name: str = "Frontdesk assistant"
    max_tokens: int = 400
    version: str = "v1"


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of the answer, as it is generated."""

    text: str


@dataclass(frozen=True, slots=True)
class Restart:
    """The provider failed mid-answer and the next one starts over: discard what came so far."""

    failed_provider: str


@dataclass(frozen=True, slots=True)
class Finished:
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: int = 0
    confidence: float | None = None
    """The provider's own confidence, if it has one (the offline assistant does)."""
    cost_micros: int = 0
    fallbacks: tuple[str, ...] = ()


StreamItem = Delta | Restart | Finished


class LanguageModel(Protocol):
    """Streams an answer: Delta items, then exactly one Finished. Raises ModelUnavailable."""

    def stream(self, prompt: Prompt) -> Iterator[StreamItem]: ...


class ModelUnavailable(Exception):
    """No answer could be had (every provider of the chain failed or has its circuit open)."""

    def __init__(self, message: str, tried: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.tried = tried


class Retriever(Protocol):
    """Finds what answers a question: knowledge passages (up to ``limit``), and, when a
    ``contact_id`` is given and the retriever keeps memories, a few of that contact's."""

    def search(self, tenant_id: UUID, query: str, *, limit: int,
               contact_id: UUID | None = None) -> list[Passage]: ...


class TokenCounter(Protocol):
    def count(self, text: str) -> int: ...


# -- tenant settings -------------------------------------------------------------------------


class AssistantSettingsSource(Protocol):
    """A tenant's assistant settings (the domain value object, validated as it is read)."""

    def for_tenant(self, tenant_id: UUID) -> AssistantSettings: ...


# -- outbound transports ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    tenant_id: UUID
    conversation_id: UUID
    message_id: UUID
    channel: str
    to: str
    sender: str | None
    body: str
    subject: str | None = None
    in_reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """The vendor accepted the message: its id (Twilio SID, email Message-ID) and status."""

    external_id: str
    status: Delivery = Delivery.SENT


class TransportUnavailable(Exception):
    """The vendor is down or did not answer: try again later (the message stays queued)."""


class DeliveryRefused(Exception):
    """The vendor refused this message for good (bad number, no sender configured)."""


class MessageTransport(Protocol):
    name: str
    channels: frozenset[str]

    def send(self, message: OutboundMessage) -> Receipt: ...

    def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        """Did an earlier attempt reach the vendor after all? (Asked before a resend.)"""
        ...
