"""The assistant, the context builder and the outbox on the in-memory fakes (application layer):
an answer is stored once with its provenance; a model that is down stores nothing; the hand-off
sentinel is never shown; the oldest messages leave the context first; the outbox sends once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from adapters.clock import ManualClock
from adapters.llm.tokens import EstimatedTokenCounter
from application.bus import CommandBus
from application.conversations.assistant import AiAssistant, ReplyStored
from application.conversations.commands import PostMessage, StartConversation
from application.conversations.context import ContextBuilder, SentinelFilter
from application.conversations.handlers import (
    BeginDispatchHandler,
    PostMessageHandler,
    RecordAiReplyHandler,
    RecordDeliveryHandler,
    StartConversationHandler,
)
from application.conversations.outbox import OutboxDispatcher
from application.conversations.ports import (
    AssistantSettings,
    Delta,
    ModelUnavailable,
    OutboundMessage,
    Passage,
    Prompt,
    Receipt,
    StreamItem,
    TransportUnavailable,
)
from application.ports import CommandContext
from domain.contacts import Contact
from domain.conversations import Conversation, Delivery, HandoffRules
from domain.shared import Email, PhoneNumber
from tests.fake_llm import ScriptedModel
from tests.fakes import InMemoryEventStore, InMemoryUnitOfWorkFactory

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


class Settings:
    def __init__(self, **options: object) -> None:
        self.value = AssistantSettings(**options)  # type: ignore[arg-type]

    def for_tenant(self, tenant_id: UUID) -> AssistantSettings:
        return self.value


class Knowledge:
    def search(self, tenant_id: UUID, query: str, *, limit: int,
               contact_id: UUID | None = None) -> list[Passage]:
        if "whitening" not in query.lower():
            return []
        return [Passage("doc#1", "Prices", "Teeth whitening costs 300 EUR.", 0.3)]


class FakeTransport:
    """A stateful Twilio stand-in: what it accepted, and a switch to take it down."""

    name, channels = "fake", frozenset({"sms"})

    def __init__(self) -> None:
        self.accepted: list[OutboundMessage] = []
        self.down = False

    def send(self, message: OutboundMessage) -> Receipt:
        if self.down:
            raise TransportUnavailable("down")
        self.accepted.append(message)
        return Receipt(external_id=f"SM{len(self.accepted)}")

    def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        for n, sent in enumerate(self.accepted, start=1):
            if sent.message_id == message.message_id:
                return Receipt(external_id=f"SM{n}")
        return None


class World:
    def __init__(self, model: ScriptedModel | None = None, **settings: object) -> None:
        self.store = InMemoryEventStore()
        self.uows = InMemoryUnitOfWorkFactory(self.store)
        self.bus = CommandBus(self.uows, self.store)
        self.clock = ManualClock(T0)
        self.settings = Settings(**settings)
        self.model = model or ScriptedModel("Whitening costs 300 EUR.")
        self.ctx = CommandContext(tenant_id=uuid4(), actor=f"user:{uuid4()}")
        self.context = ContextBuilder(Knowledge(), EstimatedTokenCounter())
        self.assistant = AiAssistant(self.uows, self.bus, self.model, self.context,
                                     self.settings, RecordAiReplyHandler(self.clock,
                                                                         self.settings))

    def conversation(self, channel: str = "webchat") -> UUID:
        contact = Contact.register(contact_id=uuid4(), tenant_id=self.ctx.tenant_id,
                                   actor="t", at=T0, name="Ana",
                                   email=Email("ana@example.com"),
                                   phone=PhoneNumber("+34612345678"))
        uow = self.uows(self.ctx.tenant_id)
        uow.add(contact)
        uow.commit()
        started = self.bus.execute(StartConversationHandler(self.clock, self.settings),
                                   StartConversation(contact.id, channel), self.ctx)
        return started.result.id  # type: ignore[union-attr]

    def say(self, conversation: UUID, body: str, author: str = "customer") -> None:
        self.bus.execute(PostMessageHandler(self.clock, self.settings),
                         PostMessage(conversation, None, author, body), self.ctx)

    def events(self, conversation: UUID) -> list[str]:
        return [type(e).__name__ for e in self.store.events[conversation]]


def test_an_answer_is_streamed_then_stored_once_with_its_provenance() -> None:
    world = World()
    conversation = world.conversation()
    world.say(conversation, "How much is whitening?")
    items = list(world.assistant.reply(world.ctx, conversation))
    streamed = "".join(i.text for i in items if isinstance(i, Delta))
    stored = items[-1]
    assert isinstance(stored, ReplyStored) and stored.delivered
    assert streamed == stored.text == "Whitening costs 300 EUR."
    assert stored.provenance.passages == ("doc#1",)
    assert stored.provenance.based_on_version == 2
    assert world.events(conversation)[-2:] == ["AiReplyGenerated", "MessageSent"]
    prompt = world.model.prompts[-1]
    assert "Teeth whitening costs 300 EUR." in prompt.system
    assert prompt.messages[-1].content == "How much is whitening?"


def test_a_message_that_arrives_while_the_model_answers_is_kept_before_the_reply() -> None:
    """The reply is stored on the conversation as it is when the answer is complete (the
    command starts from the state the context was built from and reads what came since)."""
    world = World()
    conversation = world.conversation()
    world.say(conversation, "How much is whitening?")

    class Interrupted(ScriptedModel):
        def stream(self, prompt: Prompt) -> Iterator[StreamItem]:
            for n, item in enumerate(super().stream(prompt)):
                if n == 1:
                    world.say(conversation, "And how long does it take?")
                yield item

    world.assistant = AiAssistant(world.uows, world.bus, Interrupted("Whitening costs 300 EUR."),
                                  world.context, world.settings,
                                  RecordAiReplyHandler(world.clock, world.settings))
    stored = list(world.assistant.reply(world.ctx, conversation))[-1]
    assert isinstance(stored, ReplyStored) and stored.delivered
    assert stored.provenance.based_on_version == 2
    assert [m.body for m in stored.conversation.messages] == [
        "How much is whitening?", "And how long does it take?", "Whitening costs 300 EUR."]
    assert world.events(conversation)[2:] == ["MessageReceived", "AiReplyGenerated",
                                              "MessageSent"]


def test_a_model_that_is_down_stores_nothing_and_the_message_stays() -> None:
    world = World()
    conversation = world.conversation()
    world.say(conversation, "Hello?")
    world.model.down = True
    with pytest.raises(ModelUnavailable):
        list(world.assistant.reply(world.ctx, conversation))
    assert world.events(conversation) == ["ConversationStarted", "MessageReceived"]


def test_the_handoff_sentinel_is_never_shown_and_hands_off() -> None:
    world = World(ScriptedModel("[[HANDOFF]]"))
    conversation = world.conversation()
    world.say(conversation, "Can you do a root canal on my cat?")
    items = list(world.assistant.reply(world.ctx, conversation))
    assert not [i for i in items if isinstance(i, Delta)]
    stored = items[-1]
    assert isinstance(stored, ReplyStored) and not stored.delivered
    assert stored.conversation.handoff_reason == "low_confidence"
    guard = SentinelFilter()
    shown = "".join(guard.feed(piece) for piece in ["Sure", " [[HAND", "OFF]]", " ok"])
    assert shown + guard.tail() == "Sure  ok" and guard.finish()[1]


def test_the_oldest_messages_leave_the_context_first() -> None:
    world = World(context_token_budget=200)
    conversation = world.conversation()
    for n in range(40):
        world.say(conversation, f"message number {n} about nothing in particular at all")
    loaded = world.uows(world.ctx.tenant_id).get(Conversation, conversation)
    prompt = world.context.build(world.ctx.tenant_id, loaded, world.settings.value)
    [turn] = prompt.messages  # consecutive customer messages merge into one user turn
    kept = turn.content.splitlines()
    assert kept[-1].startswith("message number 39") and len(kept) < 40
    assert not any(line.startswith("message number 0 ") for line in kept)


def test_the_outbox_sends_once_waits_out_an_outage_and_reconciles_after_a_crash() -> None:
    world = World(handoff=HandoffRules(max_ai_turns=5))
    conversation = world.conversation("sms")
    world.say(conversation, "Hello", author="customer")
    world.say(conversation, "Hi Ana, how can we help?", author="agent")
    transport = FakeTransport()
    outbox = OutboxDispatcher(transport, world.uows, world.bus,
                              BeginDispatchHandler(world.clock, world.settings),
                              RecordDeliveryHandler(world.clock, world.settings))
    [sent_event] = [e for e in world.store.events[conversation]
                    if type(e).__name__ == "MessageSent"]
    transport.down = True
    with pytest.raises(TransportUnavailable):
        outbox.handle(sent_event)
    assert transport.accepted == []
    transport.down = False
    outbox.handle(sent_event)
    outbox.handle(sent_event)  # a replay of the log: already sent
    assert len(transport.accepted) == 1
    message = world.uows(world.ctx.tenant_id).get(Conversation, conversation).message(
        sent_event.message_id)
    assert (message.delivery, message.external_id, message.attempts) == (Delivery.SENT, "SM1",
                                                                         2)
