"""The Conversation aggregate: states, events and invariants (SPEC §3.4), on plain objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.conversations import (
    AiProvenance,
    Channel,
    Conversation,
    ConversationStatus,
    Delivery,
    DispositionCode,
    HandoffReason,
    HandoffRules,
    Rating,
)
from domain.knowledge import KnowledgeDocument, chunk_text
from domain.shared import InvalidValue, RuleViolated

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RULES = HandoffRules(keywords=("complaint",), max_ai_turns=2, min_confidence=0.4)


def started(channel: Channel = Channel.SMS) -> Conversation:
    return Conversation.start(conversation_id=uuid4(), tenant_id=uuid4(), actor="test", at=T0,
                              contact_id=uuid4(), channel=channel,
                              customer_address="+34612345678", our_address="+15005550006")


def provenance(confidence: float = 0.9) -> AiProvenance:
    return AiProvenance(provider="local", model="offline-templates", tokens_in=120,
                        tokens_out=30, latency_ms=12, cost_micros=0, confidence=confidence,
                        passages=("doc#1",), memory_ids=(), fallbacks=("openai",),
                        prompt_version="v1", based_on_version=2)


def names(conversation: Conversation) -> list[str]:
    return [type(e).__name__ for e in conversation.collect_events()]


def test_messages_are_appended_in_order_and_a_seen_external_id_is_ignored() -> None:
    conversation = started()
    assert conversation.receive(actor="twilio", at=T0, message_id=uuid4(), body="Hi there",
                                external_id="SM1", rules=RULES)
    assert not conversation.receive(actor="twilio", at=T0, message_id=uuid4(), body="Hi there",
                                    external_id="SM1", rules=RULES)
    conversation.send_agent_message(actor="user:x", at=T0 + timedelta(minutes=1),
                                    message_id=uuid4(), agent_id=uuid4(), body="Hello!")
    assert [m.sequence for m in conversation.ordered_messages()] == [1, 2]
    assert [m.body for m in conversation.ordered_messages()] == ["Hi there", "Hello!"]
    assert names(conversation) == ["ConversationStarted", "MessageReceived", "AgentJoined",
                                   "MessageSent"]
    assert Conversation.external_claim(Channel.SMS, "SM1") in conversation.claims


def test_asking_for_a_person_or_a_tenant_keyword_hands_off() -> None:
    conversation = started()
    conversation.receive(actor="c", at=T0, message_id=uuid4(), body="Can I talk to a HUMAN?",
                         external_id=None, rules=RULES)
    assert conversation.status is ConversationStatus.WAITING_FOR_AGENT
    assert conversation.handoff_reason == HandoffReason.CUSTOMER_REQUEST.value
    other = started()
    other.receive(actor="c", at=T0, message_id=uuid4(), body="I have a complaint.",
                  external_id=None, rules=RULES)
    assert other.handoff_reason == HandoffReason.KEYWORD.value
    humane = started()  # a word that merely contains the keyword does not count
    humane.receive(actor="c", at=T0, message_id=uuid4(), body="humanely agentless",
                   external_id=None, rules=RULES)
    assert humane.status is ConversationStatus.OPEN


def test_ai_replies_carry_provenance_and_hand_off_after_n_turns() -> None:
    conversation = started()
    conversation.collect_events()
    assert conversation.record_ai_reply(actor="ai", at=T0, message_id=uuid4(), body="One",
                                        provenance=provenance(), rules=RULES)
    assert conversation.status is ConversationStatus.AI_HANDLING
    conversation.record_ai_reply(actor="ai", at=T0, message_id=uuid4(), body="Two",
                                 provenance=provenance(), rules=RULES)
    events = conversation.collect_events()
    assert [type(e).__name__ for e in events] == [
        "AiReplyGenerated", "MessageSent", "AiReplyGenerated", "MessageSent", "HandedOff"]
    generated = events[0]
    assert (generated.provider, generated.tokens_in, generated.passages,  # type: ignore[attr-defined]
            generated.fallbacks, generated.delivered) == ("local", 120, ["doc#1"],  # type: ignore[attr-defined]
                                                          ["openai"], True)
    assert events[1].delivery == "queued"  # type: ignore[attr-defined]
    assert conversation.handoff_reason == HandoffReason.AI_TURN_LIMIT.value
    with pytest.raises(RuleViolated):
        conversation.record_ai_reply(actor="ai", at=T0, message_id=uuid4(), body="Three",
                                     provenance=provenance(), rules=RULES)


def test_a_reply_below_the_confidence_threshold_is_withheld_and_hands_off() -> None:
    conversation = started(Channel.WEBCHAT)
    conversation.collect_events()
    delivered = conversation.record_ai_reply(actor="ai", at=T0, message_id=uuid4(),
                                             body="Not sure", provenance=provenance(0.1),
                                             rules=RULES)
    assert not delivered
    generated, handed = conversation.collect_events()
    assert generated.withheld_draft == "Not sure"  # type: ignore[attr-defined]
    assert handed.reason == "low_confidence"  # type: ignore[attr-defined]
    assert conversation.messages == {}


def test_a_draft_for_the_agent_is_stored_once_with_provenance_and_changes_nothing_else(
        ) -> None:
    conversation = started()
    conversation.receive(actor="c", at=T0, message_id=uuid4(), body="Can I talk to a human?",
                         external_id=None, rules=RULES)
    agent = uuid4()
    conversation.join(actor="user:x", at=T0, agent_id=agent)
    conversation.collect_events()
    before = (conversation.status, dict(conversation.messages), conversation.ai_turns,
              conversation.agent_id)
    draft_id = uuid4()
    conversation.record_ai_draft(actor="user:x", at=T0, draft_id=draft_id,
                                 body="  Whitening costs 300 EUR.  ", provenance=provenance(0.2))
    [suggested] = conversation.collect_events()
    assert isinstance(suggested, Conversation.AiDraftSuggested)
    assert (suggested.draft_id, suggested.text, suggested.provider, suggested.model,
            suggested.tokens_in, suggested.tokens_out, suggested.latency_ms,
            suggested.cost_micros, suggested.confidence, suggested.passages,
            suggested.memory_ids, suggested.fallbacks, suggested.prompt_version,
            suggested.based_on_version) == (
        draft_id, "Whitening costs 300 EUR.", "local", "offline-templates", 120, 30, 12, 0,
        0.2, ["doc#1"], [], ["openai"], "v1", 2)
    assert Conversation.AiDraftSuggested.personal == frozenset({"text"})
    # a draft, even one below the confidence threshold, is neither sent nor hands off
    assert (conversation.status, conversation.messages, conversation.ai_turns,
            conversation.agent_id) == before
    with pytest.raises(RuleViolated, match="already stored"):
        conversation.record_ai_draft(actor="user:x", at=T0, draft_id=draft_id, body="Again",
                                     provenance=provenance())
    with pytest.raises(InvalidValue):
        conversation.record_ai_draft(actor="user:x", at=T0, draft_id=uuid4(), body="   ",
                                     provenance=provenance())
    assert conversation.collect_events() == []


def test_a_draft_is_refused_unless_a_person_works_the_conversation() -> None:
    waiting = started()
    waiting.hand_off(actor="a", at=T0, reason=HandoffReason.AGENT_REQUEST, detail=None)
    waiting.record_ai_draft(actor="a", at=T0, draft_id=uuid4(), body="Hello",
                            provenance=provenance())
    assert waiting.status is ConversationStatus.WAITING_FOR_AGENT
    answered = started()
    answered.record_ai_reply(actor="ai", at=T0, message_id=uuid4(), body="One",
                             provenance=provenance(), rules=RULES)
    resolved = started()
    resolved.resolve(actor="a", at=T0, disposition=DispositionCode("RESOLVED"),
                     tenant_codes=frozenset(), note=None)
    for conversation in (started(), answered, resolved):
        version = conversation.version
        with pytest.raises(RuleViolated, match="only while a person works"):
            conversation.record_ai_draft(actor="a", at=T0, draft_id=uuid4(), body="Hello",
                                         provenance=provenance())
        assert conversation.version == version


def test_resolution_needs_a_known_disposition_and_surveys_need_a_resolution() -> None:
    conversation = started()
    with pytest.raises(RuleViolated):
        conversation.record_csat(actor="c", at=T0, score=Rating.csat(5), comment=None)
    with pytest.raises(InvalidValue):
        conversation.resolve(actor="a", at=T0, disposition=DispositionCode("MADE_UP"),
                             tenant_codes=frozenset(), note=None)
    conversation.resolve(actor="a", at=T0, disposition=DispositionCode("made_up"),
                         tenant_codes=frozenset({"MADE_UP"}), note="done")
    assert conversation.status is ConversationStatus.RESOLVED
    assert Conversation.open_claim(conversation.contact_id, Channel.SMS) not in conversation.claims
    conversation.record_csat(actor="c", at=T0, score=Rating.csat(4), comment="quick")
    conversation.record_nps(actor="c", at=T0, score=Rating.nps(9), comment=None)
    with pytest.raises(RuleViolated):
        conversation.record_csat(actor="c", at=T0, score=Rating.csat(5), comment=None)
    with pytest.raises(RuleViolated):
        conversation.receive(actor="c", at=T0, message_id=uuid4(), body="hello?",
                             external_id=None, rules=RULES)
    with pytest.raises(InvalidValue):
        Rating.csat(6)
    with pytest.raises(InvalidValue):
        Rating.nps(-1)


def test_delivery_moves_forward_only_and_the_outbox_counts_attempts() -> None:
    conversation = started()
    message_id = uuid4()
    conversation.send_system_message(actor="s", at=T0, message_id=message_id, body="Reminder")
    assert conversation.begin_dispatch(actor="o", at=T0, message_id=message_id) == 1
    assert conversation.message(message_id).attempts == 1
    assert conversation.update_delivery(actor="o", at=T0, message_id=message_id,
                                        status=Delivery.SENT, external_id="SM9")
    with pytest.raises(RuleViolated):
        conversation.begin_dispatch(actor="o", at=T0, message_id=message_id)
    assert conversation.update_delivery(actor="t", at=T0, message_id=message_id,
                                        status=Delivery.DELIVERED, external_id="SM9")
    assert not conversation.update_delivery(actor="t", at=T0, message_id=message_id,
                                            status=Delivery.SENT, external_id="SM9")
    assert conversation.message(message_id).delivery is Delivery.DELIVERED


def test_call_statuses_are_recorded_once_each() -> None:
    conversation = started(Channel.VOICE)
    for status, duration in (("ringing", None), ("in-progress", None), ("completed", 42)):
        assert conversation.record_call(actor="t", at=T0, call_sid="CA1", status=status,
                                        direction="inbound", duration_seconds=duration,
                                        recording_url=None)
    assert not conversation.record_call(actor="t", at=T0, call_sid="CA1", status="completed",
                                        direction="inbound", duration_seconds=42,
                                        recording_url=None)
    call = conversation.calls["CA1"]
    assert call.answered and call.duration_seconds == 42
    assert Conversation.call_claim("CA1") in conversation.claims
    missed = started(Channel.VOICE)
    missed.record_call(actor="t", at=T0, call_sid="CA2", status="no-answer",
                       direction="inbound", duration_seconds=0, recording_url=None)
    assert not missed.calls["CA2"].answered


def test_knowledge_documents_are_chunked_into_bounded_passages() -> None:
    text = "Whitening costs 300 EUR. It takes one hour.\n\n" + ("Aftercare matters. " * 80)
    passages = chunk_text(text, max_chars=200)
    assert passages[0] == "Whitening costs 300 EUR. It takes one hour."
    assert all(len(p) <= 200 for p in passages) and len(passages) > 5
    document = KnowledgeDocument.add(document_id=uuid4(), tenant_id=uuid4(), actor="a", at=T0,
                                     title="Prices", text=text, source=None, max_chars=200)
    assert document.passages == passages
    with pytest.raises(InvalidValue):
        KnowledgeDocument.add(document_id=uuid4(), tenant_id=uuid4(), actor="a", at=T0,
                              title="Empty", text="  \n ", source=None)
