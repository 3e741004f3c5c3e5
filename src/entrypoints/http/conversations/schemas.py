"""Schemas of conversations, messages, AI replies, the assistant's settings and inbound
messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.conversations.views import ConversationView, MessageView
from entrypoints.http.schemas import In

Body = Annotated[str, Field(min_length=1, max_length=10_000,
                            examples=["Hi, how much is teeth whitening?"])]
ChannelName = Literal["sms", "whatsapp", "voice", "webchat", "email"]


class ConversationCreate(In):
    contact_id: UUID = Field(description="The contact to talk to (see /v1/contacts)")
    channel: ChannelName = Field(examples=["webchat"])
    subject: str | None = Field(default=None, max_length=500, examples=["Whitening enquiry"])


class MessageIn(In):
    author: Literal["customer", "agent"] = Field(
        examples=["customer"], description="`customer`: the customer's words (web chat, or "
        "relayed by an integration); `agent`: the calling user's reply, sent out through the "
        "outbox on SMS, WhatsApp and email")
    body: Body
    external_id: str | None = Field(default=None, max_length=200,
                                    description="The sender's id of the message: a repeat "
                                                "is ignored")


class HandOffIn(In):
    reason: str | None = Field(default=None, max_length=1000,
                               examples=["needs a treatment plan"])


class ResolveIn(In):
    disposition: str = Field(min_length=2, max_length=64, examples=["APPOINTMENT_BOOKED"],
                             description="A standard code (SPEC §3.5) or one of the tenant's "
                                         "`dispositions` in the assistant settings")
    note: str | None = Field(default=None, max_length=4000)


class CsatIn(In):
    score: int = Field(ge=1, le=5, examples=[5])
    comment: str | None = Field(default=None, max_length=2000)


class NpsIn(In):
    score: int = Field(ge=0, le=10, examples=[9])
    comment: str | None = Field(default=None, max_length=2000)


class MessageOut(BaseModel):
    id: UUID
    sequence: int
    direction: Literal["inbound", "outbound"]
    author: str = Field(examples=["customer", "ai", "agent", "system"])
    body: str
    at: datetime
    external_id: str | None
    delivery: str = Field(description="not_applicable, queued (in the outbox), logged, sent, "
                                      "delivered, read, undelivered or failed")
    ai: dict[str, Any] | None = Field(default=None, description="Provenance of an AI answer: "
                                      "provider, model, tokens, latency, cost, confidence, "
                                      "passages used, fallbacks")

    @classmethod
    def of(cls, view: MessageView) -> MessageOut:
        return cls(id=view.id, sequence=view.sequence, direction=view.direction,  # type: ignore[arg-type]
                   author=view.author, body=view.body, at=view.at,
                   external_id=view.external_id, delivery=view.delivery, ai=view.ai)


class ConversationOut(BaseModel):
    id: UUID
    contact_id: UUID
    channel: ChannelName
    status: Literal["open", "ai_handling", "waiting_for_agent", "agent_handling", "resolved"]
    version: int = Field(description="Send it back in If-Match to act on this version")
    subject: str | None
    agent_id: UUID | None
    handoff_reason: str | None = Field(examples=["customer_request"])
    disposition: str | None
    csat: int | None
    nps: int | None
    ai_turns: int = Field(description="AI answers since a person last took part")
    message_count: int
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None
    messages: list[MessageOut] = Field(default_factory=list)

    @classmethod
    def of(cls, view: ConversationView, *, with_messages: bool = True) -> ConversationOut:
        return cls(id=view.id, contact_id=view.contact_id, channel=view.channel,  # type: ignore[arg-type]
                   status=view.status, version=view.version, subject=view.subject,  # type: ignore[arg-type]
                   agent_id=view.agent_id, handoff_reason=view.handoff_reason,
                   disposition=view.disposition, csat=view.csat, nps=view.nps,
                   ai_turns=view.ai_turns, message_count=view.message_count,
                   created_at=view.created_at, updated_at=view.updated_at,
                   last_message_at=view.last_message_at,
                   messages=[MessageOut.of(m) for m in view.messages] if with_messages else [])


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class AiReplyOut(BaseModel):
    conversation_id: UUID
    message_id: UUID
    text: str = Field(description="The complete answer, as stored")
    delivered: bool = Field(description="False when the answer was withheld (not confident) "
                                        "and the conversation handed to a person")
    status: str
    handoff_reason: str | None
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: int
    cost_micros: int = Field(description="Estimated cost in millionths of a US dollar")
    confidence: float
    passages: list[str] = Field(description="Knowledge passages used, `<document>#<n>`")
    memory_ids: list[str] = Field(default_factory=list,
                                  description="Memories of this contact the answer was given "
                                              "(ids of `GET /v1/contacts/{id}/memories` hits)")
    fallbacks: list[str] = Field(description="Providers that failed before this one answered")


class AiDraftOut(BaseModel):
    """A reply the assistant drafted for the person working the conversation. Nothing was
    sent: the agent edits the text and sends it with `POST /v1/conversations/{id}/messages`
    (`author: agent`). Stored as the event `AiDraftSuggested` with its provenance."""

    conversation_id: UUID
    draft_id: UUID = Field(description="The draft's id, as in the `started` event and the "
                                       "`AiDraftSuggested` event of the history")
    text: str = Field(description="The complete draft, as stored (`(no answer)` when the "
                                  "assistant found nothing to say: confidence 0)",
                      examples=["Hi Ana, teeth whitening costs 300 EUR and takes one hour. "
                                "Shall I book you in?"])
    version: int = Field(description="The conversation's version with the draft recorded: "
                                     "send it in If-Match with the agent's message",
                         examples=[6])
    provider: str = Field(description="The provider that wrote the draft, after any fallback",
                          examples=["openai"])
    model: str = Field(examples=["gpt-4o-mini"])
    tokens_in: int = Field(examples=[412])
    tokens_out: int = Field(examples=[27])
    latency_ms: int = Field(description="Time to the complete draft", examples=[850])
    cost_micros: int = Field(description="Estimated cost in millionths of a US dollar",
                             examples=[78])
    confidence: float = Field(ge=0, le=1, examples=[1.0],
                              description="0 when the knowledge did not answer the question "
                                          "(the model asked for a person)")
    passages: list[str] = Field(description="Knowledge passages used, `<document>#<n>`",
                                examples=[["3f1c9a4e-6b9d-4c0e-9a57-0d8c1b2e4f60#1"]])
    memory_ids: list[str] = Field(default_factory=list,
                                  description="Memories of this contact the model was given "
                                              "(ids of `GET /v1/contacts/{id}/memories` hits)")
    fallbacks: list[str] = Field(description="Providers that failed before this one answered",
                                 examples=[[]])


class AssistantSettingsIn(In):
    persona: str | None = Field(default=None, max_length=4000,
                                examples=["You are Sonia, the receptionist of Bright Smile."])
    assistant_name: str | None = Field(default=None, max_length=100, examples=["Sonia"])
    rules: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list, max_length=50, examples=[["Never quote a price not listed."]])
    handoff_keywords: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=50, examples=[["complaint", "refund"]])
    max_ai_turns: int = Field(default=5, ge=1, le=100)
    min_confidence: float = Field(default=0.35, ge=0, le=1)
    context_token_budget: int = Field(default=2000, ge=200, le=200_000)
    max_reply_tokens: int = Field(default=400, ge=16, le=8000)
    senders: dict[Literal["sms", "whatsapp", "email"], str] = Field(
        default_factory=dict, examples=[{"sms": "+15005550006"}],
        description="The tenant's sender number or address per channel")
    dispositions: list[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{1,63}$")]] = Field(
        default_factory=list, max_length=100, examples=[["TREATMENT_PLAN_SENT"]])
    auto_reply: bool = Field(default=False, description="Answer inbound SMS, WhatsApp and email "
                             "automatically (the reply goes out through the outbox)")


class InboundOut(BaseModel):
    conversation_id: UUID
    duplicate: bool
    conversation_started: bool
    contact_created: bool
    status: str | None
