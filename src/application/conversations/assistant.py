"""The AI assistant: build the context, stream the model's answer, store it once, complete.

``reply`` answers the customer while no person works the conversation; ``draft`` suggests a
reply to the person who does (stored as a draft with its provenance, never sent: the agent
edits it and sends their own message). Both are generators of what a client may show as it
happens (the answer's id, text deltas, a restart when a provider failed mid-answer, the stored
outcome) and share one private generator that builds the prompt and streams the model. They
must be consumed to their end for the answer to be stored: the HTTP layer runs them to
completion on a worker of its own (``ReplyRunner``), so a client that goes away mid-stream
changes nothing (ADR 0022). Provider failures before any text raise ModelUnavailable (HTTP
503); the customer's message was stored before and stays.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from typing import TypeVar
from uuid import UUID

from application.bus import CommandBus, Executed
from application.conversations.commands import HandOff, RecordAiDraft, RecordAiReply
from application.conversations.context import ContextBuilder, SentinelFilter
from application.conversations.ports import (
    AssistantSettingsSource,
    Delta,
    Finished,
    LanguageModel,
    ModelUnavailable,
    Restart,
)
from application.conversations.reachability import must_be_reachable
from application.conversations.views import ConversationView
from application.ports import CommandContext, UnitOfWorkFactory
from domain.contacts import Contact
from domain.conversations import (
    AI_MAY_ANSWER,
    AI_MAY_DRAFT,
    AiProvenance,
    Conversation,
    HandoffReason,
)
from domain.shared import RuleViolated
from domain.shared.ids import new_id

log = logging.getLogger("frontdesk.assistant")
NO_ANSWER = "(no answer)"
"""Stored when the model gave no text (it only asked for a person)."""


@dataclass(frozen=True, slots=True)
class ReplyStarted:
    conversation_id: UUID
    message_id: UUID
    customer_preview: bool = True
    """Whether the customer may watch this answer as it is written (ADR 0092). False when it
    may yet be withheld for low confidence: the retrieval's confidence is below the tenant's
    bar (the offline assistant's answer has that confidence). A model that asks for a person
    after some text is the one case left where a watched answer is withheld."""


@dataclass(frozen=True, slots=True)
class ReplyStored:
    conversation: ConversationView
    message_id: UUID
    text: str
    delivered: bool
    provenance: AiProvenance
    position: str


ReplyEvent = ReplyStarted | Delta | Restart | ReplyStored


@dataclass(frozen=True, slots=True)
class DraftStarted:
    conversation_id: UUID
    draft_id: UUID


@dataclass(frozen=True, slots=True)
class DraftStored:
    """The draft as stored (``AiDraftSuggested``): its text is what the agent edits."""

    conversation_id: UUID
    draft_id: UUID
    text: str
    provenance: AiProvenance
    position: str
    version: int
    """The conversation's version with the draft recorded: the agent's If-Match."""


DraftEvent = DraftStarted | Delta | Restart | DraftStored

S = TypeVar("S", ReplyStarted, DraftStarted)


@dataclass(frozen=True, slots=True)
class _Answer:
    text: str
    provenance: AiProvenance


class AiAssistant:
    def __init__(self, uows: UnitOfWorkFactory, bus: CommandBus, model: LanguageModel,
                 context: ContextBuilder, settings: AssistantSettingsSource) -> None:
        self._uows, self._bus, self._model = uows, bus, model
        self._context, self._settings = context, settings

    def reply(self, ctx: CommandContext, conversation_id: UUID) -> Iterator[ReplyEvent]:
        """Answer the customer; the answer is sent (or withheld and handed off)."""
        uow = self._uows(ctx.tenant_id)
        conversation = uow.get(Conversation, conversation_id)
        if conversation.status not in AI_MAY_ANSWER:
            raise RuleViolated(f"the assistant cannot answer a conversation that is "
                               f"{conversation.status.value}")
        if conversation.channel.delivers_outbound:
            must_be_reachable(uow.get(Contact, conversation.contact_id), conversation.channel)
        message_id = new_id()
        answer = yield from self._generate(ctx, conversation,
                                           ReplyStarted(conversation_id, message_id))
        command = RecordAiReply(conversation_id, message_id, answer.text or NO_ANSWER,
                                answer.provenance)
        # The conversation the context was built from is taken as current rather than loaded
        # again (200 events); if something was recorded meanwhile (a message that arrived while
        # the model answered), the commit refuses and the bus stores the reply from the store.
        outcome = self._bus.execute(command, ctx, seeds=(conversation,))
        assert isinstance(outcome, Executed)
        view, delivered = outcome.result
        yield ReplyStored(view, message_id, answer.text, delivered, answer.provenance,
                          outcome.position)

    def reply_or_hand_off(self, ctx: CommandContext,
                          conversation_id: UUID) -> Iterator[ReplyEvent]:
        """``reply``; when no model can answer, the conversation is handed to a person instead
        (nobody asked for this answer who could be told: the customer is not left waiting for
        one that will not come)."""
        try:
            yield from self.reply(ctx, conversation_id)
        except ModelUnavailable as down:
            log.warning("no model available (%s); handing off", down)
            self._bus.execute(HandOff(conversation_id, None, "the assistant is unavailable",
                                      HandoffReason.AI_UNAVAILABLE.value), ctx)

    def draft(self, ctx: CommandContext, conversation_id: UUID) -> Iterator[DraftEvent]:
        """Suggest a reply to the person working the conversation; nothing is sent. Refused
        (RuleViolated, before the model is asked) when nobody works it."""
        conversation = self._uows(ctx.tenant_id).get(Conversation, conversation_id)
        if conversation.status not in AI_MAY_DRAFT:
            raise RuleViolated(f"the assistant drafts replies only while a person works the "
                               f"conversation; it is {conversation.status.value}")
        draft_id = new_id()
        answer = yield from self._generate(ctx, conversation,
                                           DraftStarted(conversation_id, draft_id))
        text = answer.text or NO_ANSWER
        command = RecordAiDraft(conversation_id, draft_id, text, answer.provenance)
        outcome = self._bus.execute(command, ctx, seeds=(conversation,))
        assert isinstance(outcome, Executed)
        view: ConversationView = outcome.result
        yield DraftStored(conversation_id, draft_id, text, answer.provenance, outcome.position,
                          view.version)

    def _generate(self, ctx: CommandContext, conversation: Conversation,
                  started: S) -> Generator[S | Delta | Restart, None, _Answer]:
        """Build the prompt, announce ``started``, stream the model's answer with the hand-off
        sentinel held back, and return the whole text with its provenance."""
        settings = self._settings.for_tenant(ctx.tenant_id)
        prompt = self._context.build(ctx.tenant_id, conversation, settings)
        if isinstance(started, ReplyStarted):
            started = replace(started, customer_preview=(
                prompt.retrieval_confidence >= settings.handoff.min_confidence))
        yield started
        sentinel = SentinelFilter()
        finished: Finished | None = None
        for item in self._model.stream(prompt):
            if isinstance(item, Delta):
                visible = sentinel.feed(item.text)
                if visible:
                    yield Delta(visible)
            elif isinstance(item, Restart):
                sentinel.reset()
                yield item
            else:
                finished = item
        if finished is None:
            raise ModelUnavailable("the model stopped without finishing")
        tail = sentinel.tail()
        if tail:
            yield Delta(tail)
        text, asked_for_person = sentinel.finish()
        confidence = finished.confidence if finished.confidence is not None else 1.0
        if asked_for_person or not text:
            confidence = 0.0
        return _Answer(text, AiProvenance(
            provider=finished.provider, model=finished.model, tokens_in=finished.tokens_in,
            tokens_out=finished.tokens_out, latency_ms=finished.latency_ms,
            cost_micros=finished.cost_micros, confidence=confidence,
            passages=tuple(p.ref for p in prompt.passages if p.kind == "knowledge"),
            memory_ids=tuple(p.ref for p in prompt.passages if p.kind == "memory"),
            fallbacks=finished.fallbacks, prompt_version=prompt.version,
            based_on_version=conversation.version))
