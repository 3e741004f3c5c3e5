"""Conversations through the command bus, on the fake store and on PostgreSQL: the assistant
(an answer stored once with its provenance, a model that is down stores nothing, the hand-off
sentinel never shown, the oldest messages leave the context first; drafts for the agent
stored with their provenance, sent never, refused while nobody works the conversation, counted
as AI usage), hand-off, join, resolve
and surveys, refused commands that change nothing, inbound messages and calls from vendors
(retries ignored, STOP and START), and the outbox sending once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.llm.tokens import EstimatedTokenCounter
from application.conversations.assistant import (
    AiAssistant,
    DraftStarted,
    DraftStored,
    ReplyStored,
)
from application.conversations.commands import (
    HandOff,
    JoinConversation,
    PostMessage,
    ReceiveInbound,
    RecordCall,
    RecordDelivery,
    RecordSurvey,
    ResolveConversation,
    StartConversation,
)
from application.conversations.context import ContextBuilder, SentinelFilter
from application.conversations.outbox import OutboxDispatcher
from application.conversations.ports import (
    Delta,
    ModelUnavailable,
    OutboundMessage,
    Passage,
    Prompt,
    Receipt,
    StreamItem,
    TransportUnavailable,
)
from application.conversations.replies import FINISHED, ReplyRunner
from application.knowledge.handlers import AddKnowledge
from application.projections.ai_usage import AiUsageProjection
from application.projections.conversations import ConversationsProjection
from application.projections.memory import MemoryRows
from domain.contacts import Contact
from domain.conversations import (
    AssistantSettings,
    Conversation,
    ConversationStatus,
    Delivery,
    HandoffRules,
)
from domain.conversations.errors import OptedOut
from domain.leads import Lead
from domain.shared import (
    DomainError,
    Email,
    InvalidValue,
    NotFound,
    PhoneNumber,
    RuleViolated,
    StaleVersion,
)
from tests.application.backends import App
from tests.fake_llm import ScriptedModel

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
OUR_NUMBER = "+15005550006"


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


class Desk:
    """The conversations of one tenant: the assistant wired as the container wires it, on the
    app's bus, with a scripted model and the knowledge above."""

    def __init__(self, app: App, model: ScriptedModel | None = None,
                 **settings: Any) -> None:
        self.app = app
        app.settings.value = AssistantSettings(**settings)
        self.model = model or ScriptedModel("Whitening costs 300 EUR.")
        self.context = ContextBuilder(Knowledge(), EstimatedTokenCounter())
        self.assistant = self.with_model(self.model)

    def with_model(self, model: Any) -> AiAssistant:
        return AiAssistant(self.app.uows, self.app.bus, model, self.context, self.app.settings)

    def conversation(self, channel: str = "webchat") -> UUID:
        contact = Contact.register(contact_id=uuid4(), tenant_id=self.app.tenant_id,
                                   actor="t", at=T0, name="Ana",
                                   email=Email("ana@example.com"),
                                   phone=PhoneNumber("+34612345678"))
        self.app.save(contact)
        return self.app.run(StartConversation(contact.id, channel)).id  # type: ignore[no-any-return]

    def say(self, conversation: UUID, body: str, author: str = "customer") -> Any:
        return self.app.run(PostMessage(conversation, None, author, body))

    def events(self, conversation: UUID) -> list[str]:
        return self.app.types(conversation)


def test_an_answer_is_streamed_then_stored_once_with_its_provenance(app: App) -> None:
    desk = Desk(app)
    conversation = desk.conversation()
    desk.say(conversation, "How much is whitening?")
    items = list(desk.assistant.reply(app.ctx, conversation))
    streamed = "".join(i.text for i in items if isinstance(i, Delta))
    stored = items[-1]
    assert isinstance(stored, ReplyStored) and stored.delivered
    assert streamed == stored.text == "Whitening costs 300 EUR."
    assert stored.provenance.passages == ("doc#1",)
    assert stored.provenance.based_on_version == 2
    assert desk.events(conversation)[-2:] == ["AiReplyGenerated", "MessageSent"]
    prompt = desk.model.prompts[-1]
    assert "Teeth whitening costs 300 EUR." in prompt.system
    assert prompt.messages[-1].content == "How much is whitening?"


def test_a_message_that_arrives_while_the_model_answers_is_kept_before_the_reply(
        app: App) -> None:
    """The reply is stored on the conversation as it is when the answer is complete (the
    command starts from the state the context was built from and reads what came since)."""
    desk = Desk(app)
    conversation = desk.conversation()
    desk.say(conversation, "How much is whitening?")

    class Interrupted(ScriptedModel):
        def stream(self, prompt: Prompt) -> Iterator[StreamItem]:
            for n, item in enumerate(super().stream(prompt)):
                if n == 1:
                    desk.say(conversation, "And how long does it take?")
                yield item

    desk.assistant = desk.with_model(Interrupted("Whitening costs 300 EUR."))
    stored = list(desk.assistant.reply(app.ctx, conversation))[-1]
    assert isinstance(stored, ReplyStored) and stored.delivered
    assert stored.provenance.based_on_version == 2
    assert [m.body for m in stored.conversation.messages] == [
        "How much is whitening?", "And how long does it take?", "Whitening costs 300 EUR."]
    assert desk.events(conversation)[2:] == ["MessageReceived", "AiReplyGenerated",
                                             "MessageSent"]


def test_a_model_that_is_down_stores_nothing_and_the_message_stays(app: App) -> None:
    desk = Desk(app)
    conversation = desk.conversation()
    desk.say(conversation, "Hello?")
    desk.model.down = True
    with pytest.raises(ModelUnavailable):
        list(desk.assistant.reply(app.ctx, conversation))
    assert desk.events(conversation) == ["ConversationStarted", "MessageReceived"]


def test_the_handoff_sentinel_is_never_shown_and_hands_off(app: App) -> None:
    desk = Desk(app, ScriptedModel("[[HANDOFF]]"))
    conversation = desk.conversation()
    desk.say(conversation, "Can you do a root canal on my cat?")
    items = list(desk.assistant.reply(app.ctx, conversation))
    assert not [i for i in items if isinstance(i, Delta)]
    stored = items[-1]
    assert isinstance(stored, ReplyStored) and not stored.delivered
    assert stored.conversation.handoff_reason == "low_confidence"
    guard = SentinelFilter()
    shown = "".join(guard.feed(piece) for piece in ["Sure", " [[HAND", "OFF]]", " ok"])
    assert shown + guard.tail() == "Sure  ok" and guard.finish()[1]


def test_the_oldest_messages_leave_the_context_first(app: App) -> None:
    desk = Desk(app, context_token_budget=200)
    conversation = desk.conversation()
    for n in range(40):
        desk.say(conversation, f"message number {n} about nothing in particular at all")
    loaded = app.load(Conversation, conversation)
    prompt = desk.context.build(app.tenant_id, loaded, app.settings.value)
    [turn] = prompt.messages  # consecutive customer messages merge into one user turn
    kept = turn.content.splitlines()
    assert kept[-1].startswith("message number 39") and len(kept) < 40
    assert not any(line.startswith("message number 0 ") for line in kept)


def test_a_draft_for_the_agent_is_stored_with_provenance_and_sends_nothing(app: App) -> None:
    desk = Desk(app)
    conversation = desk.conversation()
    desk.say(conversation, "How much is whitening?")
    joined = app.run(JoinConversation(conversation, None))
    desk.model.down = True
    with pytest.raises(ModelUnavailable):
        list(desk.assistant.draft(app.ctx, conversation))
    desk.model.down = False
    items = list(desk.assistant.draft(app.ctx, conversation))
    started, stored = items[0], items[-1]
    assert isinstance(started, DraftStarted) and isinstance(stored, DraftStored)
    assert started.draft_id == stored.draft_id
    assert "".join(i.text for i in items if isinstance(i, Delta)) == stored.text == (
        "Whitening costs 300 EUR.")
    assert stored.provenance.passages == ("doc#1",)
    assert stored.version == joined.version + 1
    assert "Teeth whitening costs 300 EUR." in desk.model.prompts[-1].system
    [suggested] = app.all_of(Conversation.AiDraftSuggested)
    assert (suggested.draft_id, suggested.text, suggested.provider, suggested.model,
            suggested.tokens_out, suggested.confidence, suggested.passages,
            suggested.memory_ids, suggested.fallbacks, suggested.based_on_version) == (
        stored.draft_id, "Whitening costs 300 EUR.", "scripted", "scripted-1", 4, 1.0,
        ["doc#1"], [], [], joined.version)
    assert desk.events(conversation) == ["ConversationStarted", "MessageReceived",
                                         "AgentJoined", "AiDraftSuggested"]
    after = app.load(Conversation, conversation)
    assert (after.status, after.agent_id, after.ai_turns) == (
        ConversationStatus.AGENT_HANDLING, joined.agent_id, 0)
    assert [m.body for m in after.ordered_messages()] == ["How much is whitening?"]
    # The console's way in: the runner drafts on a worker; a second draft is a new one.
    runner = ReplyRunner(desk.assistant, wait_seconds=30)
    try:
        queue = runner.start_draft(app.ctx, conversation)
        queued = []
        while (item := queue.get(timeout=30)) is not FINISHED:
            queued.append(item)
    finally:
        runner.shutdown()
    again = queued[-1]
    assert isinstance(again, DraftStored) and again.draft_id != stored.draft_id
    # The agent sends the draft, edited, on the version the draft answered with.
    sent = app.run(PostMessage(conversation, again.version, "agent", again.text + " Book?"))
    assert [m.author for m in sent.messages] == ["customer", "agent"]
    # Drafts are AI usage; the conversations read model keeps the version only.
    rows = MemoryRows()
    for event in app.events(conversation):
        for projection in (ConversationsProjection(), AiUsageProjection()):
            projection.apply(event, rows)
    [usage] = rows.rows("ai_usage")
    assert (usage["provider"], usage["replies"], usage["withheld"], usage["tokens_in"],
            usage["tokens_out"]) == ("scripted", 2, 0, 2 * suggested.tokens_in, 8)
    [view] = rows.rows("conversations")
    assert (view["status"], view["version"], view["message_count"]) == (
        "agent_handling", sent.version, 2)


def test_a_draft_is_refused_while_nobody_works_the_conversation_and_the_model_is_not_asked(
        app: App) -> None:
    desk = Desk(app)
    conversation = desk.conversation()
    desk.say(conversation, "How much is whitening?")

    def refused(status: str) -> None:
        assert app.load(Conversation, conversation).status.value == status
        with pytest.raises(RuleViolated, match="only while a person works"):
            list(desk.assistant.draft(app.ctx, conversation))

    refused("open")
    list(desk.assistant.reply(app.ctx, conversation))
    refused("ai_handling")
    app.run(ResolveConversation(conversation, None, "RESOLVED"))
    refused("resolved")
    assert len(desk.model.prompts) == 1  # the reply's, never a draft's
    assert "AiDraftSuggested" not in desk.events(conversation)


def test_hand_off_join_resolve_and_surveys(app: App) -> None:
    desk = Desk(app)
    conversation = desk.conversation()
    asked = desk.say(conversation, "I want to talk to a human please")
    assert (asked.status, asked.handoff_reason) == ("waiting_for_agent", "customer_request")
    with pytest.raises(RuleViolated, match="cannot answer"):
        list(desk.assistant.reply(app.ctx, conversation))
    assert app.run(JoinConversation(conversation, None)).status == "agent_handling"
    answered = desk.say(conversation, "Hi, I'm Marta.", author="agent")
    assert (answered.messages[-1].author, answered.messages[-1].delivery) == (
        "agent", "not_applicable")
    with pytest.raises(RuleViolated, match="once the conversation is resolved"):
        app.run(RecordSurvey(conversation, None, "csat", 5))
    with pytest.raises(InvalidValue) as unknown:
        app.run(ResolveConversation(conversation, None, "MADE_UP_CODE"))
    assert unknown.value.field == "disposition"
    resolved = app.run(ResolveConversation(conversation, answered.version,
                                           "APPOINTMENT_BOOKED", "Booked for Friday"))
    assert (resolved.status, resolved.disposition) == ("resolved", "APPOINTMENT_BOOKED")
    assert app.run(RecordSurvey(conversation, None, "csat", 5, "great")).csat == 5
    assert app.run(RecordSurvey(conversation, None, "nps", 9)).nps == 9
    with pytest.raises(RuleViolated, match="already recorded"):
        app.run(RecordSurvey(conversation, None, "csat", 4))
    with pytest.raises(RuleViolated, match="resolved conversation"):
        desk.say(conversation, "one more thing")
    assert desk.events(conversation) == [
        "ConversationStarted", "MessageReceived", "HandedOff", "AgentJoined", "MessageSent",
        "ConversationResolved", "CsatRecorded", "NpsRecorded"]


def test_bad_conversation_commands_are_refused_and_change_nothing(app: App) -> None:
    desk = Desk(app)
    conversation = desk.conversation()
    refused: list[tuple[Any, type[DomainError]]] = [
        (StartConversation(conversation, "fax"), InvalidValue),
        (PostMessage(conversation, None, "customer", ""), InvalidValue),
        (PostMessage(conversation, None, "robot", "hi"), InvalidValue),
        (PostMessage(conversation, None, "customer", "x" * 10_001), InvalidValue),
        (RecordSurvey(conversation, None, "csat", 7), InvalidValue),
        (RecordSurvey(conversation, None, "nps", -1), InvalidValue),
        (AddKnowledge(title="", text="x"), InvalidValue),
        (StartConversation(UUID("8a6e0804-2bd0-4672-b79d-d97027f9071a"), "sms"), NotFound),
        (HandOff(conversation, 7), StaleVersion),
    ]
    for command, error in refused:
        with pytest.raises(error):
            app.run(command)
    assert desk.events(conversation) == ["ConversationStarted"]


def test_the_outbox_sends_once_waits_out_an_outage_and_reconciles_after_a_crash(
        app: App) -> None:
    desk = Desk(app, handoff=HandoffRules(max_ai_turns=5))
    conversation = desk.conversation("sms")
    desk.say(conversation, "Hello", author="customer")
    queued = desk.say(conversation, "Hi Ana, how can we help?", author="agent")
    assert queued.messages[-1].delivery == "queued"
    transport = FakeTransport()
    outbox = OutboxDispatcher(transport, app.uows, app.bus)
    [sent_event] = [e for e in app.events(conversation) if type(e).__name__ == "MessageSent"]
    transport.down = True
    with pytest.raises(TransportUnavailable):
        outbox.handle(sent_event)
    assert transport.accepted == []
    transport.down = False
    outbox.handle(sent_event)
    outbox.handle(sent_event)  # a replay of the log: already sent
    assert len(transport.accepted) == 1
    message = app.load(Conversation, conversation).message(sent_event.message_id)
    assert (message.delivery, message.external_id, message.attempts) == (Delivery.SENT, "SM1",
                                                                         2)
    # The vendor's status callbacks: a later status lands once, an earlier one changes nothing.
    delivered = RecordDelivery(conversation, message.id, "delivered", "SM1")
    assert app.run(delivered) is True
    assert app.run(delivered) is False
    assert app.run(RecordDelivery(conversation, message.id, "sent", "SM1")) is False
    message = app.load(Conversation, conversation).message(sent_event.message_id)
    assert (message.delivery, message.external_id) == (Delivery.DELIVERED, "SM1")
    assert desk.events(conversation)[-3:] == ["MessageDispatchAttempted",
                                              "MessageDeliveryUpdated",
                                              "MessageDeliveryUpdated"]


def inbound(body: str, sender: str = "+34611000111", sid: str | None = None) -> ReceiveInbound:
    return ReceiveInbound("sms", sender, OUR_NUMBER, body, sid or f"SM{uuid4().hex}")


def test_an_sms_starts_a_conversation_with_a_lead_and_a_retry_is_ignored(app: App) -> None:
    first = app.run(inbound("Hi, do you do whitening?", sid="SM-retry-1"))
    assert first.conversation_started and first.contact_created
    again = app.run(inbound("Hi, do you do whitening?", sid="SM-retry-1"))
    assert again.duplicate and again.conversation_id == first.conversation_id
    later = app.run(inbound("And the price?"))
    assert later.conversation_id == first.conversation_id and not later.contact_created
    conversation = app.load(Conversation, first.conversation_id)
    assert conversation.channel.value == "sms"
    messages = conversation.ordered_messages()
    assert [m.body for m in messages] == ["Hi, do you do whitening?", "And the price?"]
    assert messages[0].external_id == "SM-retry-1"
    [lead] = app.all_of(Lead.LeadCaptured)
    assert (lead.source, lead.contact_id) == ("sms", first.contact_id)
    assert app.load(Contact, lead.contact_id).phone == "+34611000111"


def test_stop_opts_out_and_an_agent_reply_then_refuses_until_start(app: App) -> None:
    app.run(inbound("Hello"))
    stop = app.run(inbound("STOP"))
    assert stop.consent == "opted_out"
    contact = stop.contact_id
    assert app.load(Contact, contact).consents == {"sms": False}
    with pytest.raises(OptedOut):
        app.run(PostMessage(stop.conversation_id, None, "agent", "Sorry to see you go"))
    assert app.run(inbound("START")).consent == "opted_in"
    assert app.load(Contact, contact).consents == {"sms": True}
    replied = app.run(PostMessage(stop.conversation_id, None, "agent", "Welcome back"))
    assert replied.messages[-1].delivery == "queued"


def test_voice_status_callbacks_record_the_call_once_per_status(app: App) -> None:
    def callback(status: str, duration: int | None = None,
                 recording: str | None = None) -> Any:
        return app.run(RecordCall("CA-1", status, "+34611000222", OUR_NUMBER, "inbound",
                                  duration, recording))

    ringing = callback("ringing")
    assert ringing.conversation_started and not ringing.duplicate
    callback("in-progress")
    callback("completed", 42, "https://api.twilio.com/rec/RE1")
    assert callback("completed", 42).duplicate
    calls = [e for e in app.events(ringing.conversation_id)
             if isinstance(e, Conversation.CallRecorded)]
    assert [c.status for c in calls] == ["ringing", "in-progress", "completed"]
    assert calls[-1].answered is True and calls[-1].duration_seconds == 42
    assert calls[-1].recording_url == "https://api.twilio.com/rec/RE1"
    assert app.load(Conversation, ringing.conversation_id).channel.value == "voice"
