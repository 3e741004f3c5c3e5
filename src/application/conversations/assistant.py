"""The AI assistant: build the context, stream the model's answer, store it once, complete.

``reply`` is a generator of what a client may show as it happens (the reply's id, text deltas,
a restart when a provider failed mid-answer, the stored outcome). It must be consumed to its end
for the answer to be stored: the HTTP layer runs it to completion on a worker of its own, so a
client that goes away mid-stream changes nothing (ADR 0022). Provider failures before any text
raise ModelUnavailable (HTTP 503); the customer's message was stored before and stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from application.bus import CommandBus, Executed
from application.conversations.commands import RecordAiReply
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
from domain.conversations import AI_MAY_ANSWER, AiProvenance, Conversation
from domain.shared import RuleViolated
from domain.shared.ids import new_id


@dataclass(frozen=True, slots=True)
class ReplyStarted:
    conversation_id: UUID
    message_id: UUID


@dataclass(frozen=True, slots=True)
class ReplyStored:
    conversation: ConversationView
    message_id: UUID
    text: str
    delivered: bool
    provenance: AiProvenance
    position: str


ReplyEvent = ReplyStarted | Delta | Restart | ReplyStored


class AiAssistant:
    def __init__(self, uows: UnitOfWorkFactory, bus: CommandBus, model: LanguageModel,
                 context: ContextBuilder, settings: AssistantSettingsSource) -> None:
        self._uows, self._bus, self._model = uows, bus, model
        self._context, self._settings = context, settings

    def reply(self, ctx: CommandContext, conversation_id: UUID) -> Iterator[ReplyEvent]:
        settings = self._settings.for_tenant(ctx.tenant_id)
        uow = self._uows(ctx.tenant_id)
        conversation = uow.get(Conversation, conversation_id)
        if conversation.status not in AI_MAY_ANSWER:
            raise RuleViolated(f"the assistant cannot answer a conversation that is "
                               f"{conversation.status.value}")
        if conversation.channel.delivers_outbound:
            must_be_reachable(uow.get(Contact, conversation.contact_id), conversation.channel)
        prompt = self._context.build(ctx.tenant_id, conversation, settings)
        message_id = new_id()
        yield ReplyStarted(conversation_id, message_id)
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
        provenance = AiProvenance(
            provider=finished.provider, model=finished.model, tokens_in=finished.tokens_in,
            tokens_out=finished.tokens_out, latency_ms=finished.latency_ms,
            cost_micros=finished.cost_micros, confidence=confidence,
            passages=tuple(p.ref for p in prompt.passages if p.kind == "knowledge"),
            memory_ids=tuple(p.ref for p in prompt.passages if p.kind == "memory"),
            fallbacks=finished.fallbacks, prompt_version=prompt.version,
            based_on_version=conversation.version)
        command = RecordAiReply(conversation_id, message_id, text or "(no answer)", provenance)
        # The conversation the context was built from is taken as current rather than loaded
        # again (200 events); if something was recorded meanwhile (a message that arrived while
        # the model answered), the commit refuses and the bus stores the reply from the store.
        outcome = self._bus.execute(command, ctx, seeds=(conversation,))
        assert isinstance(outcome, Executed)
        view, delivered = outcome.result
        yield ReplyStored(view, message_id, text, delivered, provenance, outcome.position)
