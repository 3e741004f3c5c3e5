"""Hypothesis state machine over the Conversation aggregate: random sequences of customer
messages (some retried by the vendor), AI replies, AI drafts for agents, agent and system
messages, hand-offs, joins, resolutions, surveys, the outbox's dispatch attempts and delivery
callbacks, and voice calls.

A model of the rules runs beside the aggregate: open -> ai_handling | waiting_for_agent |
agent_handling -> resolved (final). Each rule checks the aggregate accepted or refused the
command exactly when the model says; the invariants check the aggregate agrees with the model,
its version counts its events, its claims follow its state, and replaying its events rebuilds
an equal conversation.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

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
from domain.shared import DomainError

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RULES = HandoffRules(keywords=("complaint",), max_ai_turns=2, min_confidence=0.4)
TENANT_CODES = frozenset({"PLAN_SENT"})
AGENTS = [UUID(int=n) for n in range(1, 3)]
OPEN, AI, WAITING, AGENT, RESOLVED = (ConversationStatus.OPEN, ConversationStatus.AI_HANDLING,
                                      ConversationStatus.WAITING_FOR_AGENT,
                                      ConversationStatus.AGENT_HANDLING,
                                      ConversationStatus.RESOLVED)
AI_MAY_ANSWER = {OPEN, AI}
PERSON_WORKS = {WAITING, AGENT}  # the assistant only drafts for the person
# What a customer writes, and the hand-off it asks for (None: none; "invalid": no text).
BODIES = {"hello there": None, "can I talk to a human?": HandoffReason.CUSTOMER_REQUEST,
          "I have a complaint": HandoffReason.KEYWORD, "   ": "invalid",
          "x" * 10_001: "invalid"}
INBOUND_IDS = [None, "SM1", "SM2"]
VENDOR_IDS = [None, "SM2", "SM3"]  # delivery callbacks name vendor ids too
VENDOR_STATUSES = [Delivery.QUEUED, Delivery.SENT, Delivery.DELIVERED, Delivery.READ,
                   Delivery.FAILED]
RANK = {Delivery.NOT_APPLICABLE: 0, Delivery.QUEUED: 1, Delivery.SENT: 2, Delivery.FAILED: 3,
        Delivery.DELIVERED: 4, Delivery.READ: 5}
CALL_STATUSES = ["ringing", "in-progress", "completed"]


@dataclass
class OutboundModel:
    delivery: Delivery
    external_id: str | None = None
    attempts: int = 0


@dataclass
class CallModel:
    statuses: list[str] = field(default_factory=list)
    answered: bool = False
    duration: int | None = None
    recording: str | None = None


def provenance(confidence: float) -> AiProvenance:
    return AiProvenance(provider="local", model="offline", tokens_in=10, tokens_out=5,
                        latency_ms=1, cost_micros=0, confidence=confidence, passages=(),
                        memory_ids=(), fallbacks=(), prompt_version="v1", based_on_version=1)


def state_of(conversation: Conversation) -> dict[str, Any]:
    """Everything the aggregate holds except the events it has not handed over yet."""
    return {k: v for k, v in vars(conversation).items() if k != "_pending_events"}


class ConversationMachine(RuleBasedStateMachine):
    conversation: Conversation

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.status = OPEN
        self.agent: UUID | None = None
        self.handoff_reason: str | None = None
        self.disposition: str | None = None
        self.csat_score: int | None = None
        self.nps_score: int | None = None
        self.ai_turns = 0
        self.events = 1
        self.inbound: list[UUID] = []
        self.outbound: dict[UUID, OutboundModel] = {}
        self.seen: set[str] = set()
        self.calls: dict[str, CallModel] = {}
        self.drafts: set[UUID] = set()

    @initialize(channel=st.sampled_from([Channel.SMS, Channel.WEBCHAT, Channel.EMAIL]))
    def start(self, channel: Channel) -> None:
        self.channel = channel
        self.conversation = Conversation.start(
            conversation_id=uuid4(), tenant_id=uuid4(), actor="t", at=self.now,
            contact_id=uuid4(), channel=channel, customer_address="+34612345678",
            our_address=None)

    # -- helpers ----------------------------------------------------------------------------

    def tick(self) -> datetime:
        self.now += timedelta(seconds=30)
        return self.now

    def attempt(self, allowed: bool, action: Any) -> Any:
        before = self.conversation.version
        try:
            result = action()
        except DomainError:
            assert not allowed, "a valid command was refused"
            assert self.conversation.version == before, "a refused command recorded events"
            return None
        assert allowed, "an invalid command was accepted"
        return result

    def recorded(self, events: int) -> None:
        self.events += events

    def handed_off(self, reason: HandoffReason) -> None:
        self.status, self.handoff_reason = WAITING, reason.value
        self.agent, self.ai_turns = None, 0
        self.events += 1

    def joined(self, agent: UUID) -> None:
        self.status, self.agent, self.ai_turns = AGENT, agent, 0
        self.events += 1

    def sent(self, message_id: UUID) -> None:
        queued = self.channel.delivers_outbound
        self.outbound[message_id] = OutboundModel(
            Delivery.QUEUED if queued else Delivery.NOT_APPLICABLE)
        self.events += 1

    @property
    def resolved(self) -> bool:
        return self.status is RESOLVED

    def some_message(self, data: st.DataObject) -> UUID:
        """Mostly an outbound message (what the outbox and the vendor act on), sometimes an
        inbound one or one the conversation does not have."""
        kind = data.draw(st.sampled_from(["outbound", "outbound", "outbound", "inbound",
                                          "unknown"]), label="kind")
        known = list(self.outbound) if kind == "outbound" else self.inbound
        if kind == "unknown" or not known:
            return uuid4()
        return data.draw(st.sampled_from(known), label="message")

    # -- customer messages ------------------------------------------------------------------

    @rule(body=st.sampled_from(sorted(BODIES)), external_id=st.sampled_from(INBOUND_IDS))
    def customer_writes(self, body: str, external_id: str | None) -> None:
        retry = external_id is not None and external_id in self.seen
        asks = BODIES[body]
        allowed = retry or (not self.resolved and asks != "invalid")
        message_id = uuid4()
        result = self.attempt(allowed, lambda: self.conversation.receive(
            actor="c", at=self.tick(), message_id=message_id, body=body,
            external_id=external_id, rules=RULES))
        if not allowed:
            return
        assert result is (not retry)
        if retry:
            return
        self.inbound.append(message_id)
        self.events += 1
        if external_id is not None:
            self.seen.add(external_id)
        if self.status in AI_MAY_ANSWER and isinstance(asks, HandoffReason):
            self.handed_off(asks)

    # -- outbound messages ------------------------------------------------------------------

    @rule(confident=st.booleans(), reuse=st.booleans())
    def ai_answers(self, confident: bool, reuse: bool) -> None:
        message_id = next(iter(self.outbound)) if reuse and self.outbound else uuid4()
        already = message_id in self.outbound
        allowed = not already and self.status in AI_MAY_ANSWER
        delivered = self.attempt(allowed, lambda: self.conversation.record_ai_reply(
            actor="ai", at=self.tick(), message_id=message_id, body="An answer.",
            provenance=provenance(0.9 if confident else 0.1), rules=RULES))
        if not allowed:
            return
        assert delivered is confident
        self.events += 1  # AiReplyGenerated
        if not confident:
            self.handed_off(HandoffReason.LOW_CONFIDENCE)
            return
        self.status = AI
        self.sent(message_id)
        self.ai_turns += 1
        if self.ai_turns >= RULES.max_ai_turns:
            self.handed_off(HandoffReason.AI_TURN_LIMIT)

    @rule(confident=st.booleans(), reuse=st.booleans())
    def ai_drafts(self, confident: bool, reuse: bool) -> None:
        """A draft for the person working the conversation: allowed exactly then (a draft id
        once), and it never changes the state, the messages or the AI turns."""
        draft_id = next(iter(self.drafts)) if reuse and self.drafts else uuid4()
        allowed = draft_id not in self.drafts and self.status in PERSON_WORKS
        before = (self.conversation.status, self.conversation.ordered_messages(),
                  self.conversation.ai_turns, self.conversation.agent_id)
        self.attempt(allowed, lambda: self.conversation.record_ai_draft(
            actor="a", at=self.tick(), draft_id=draft_id, body="A suggested reply.",
            provenance=provenance(0.9 if confident else 0.1)))
        assert (self.conversation.status, self.conversation.ordered_messages(),
                self.conversation.ai_turns, self.conversation.agent_id) == before
        if allowed:
            self.drafts.add(draft_id)
            self.events += 1  # AiDraftSuggested

    @rule(agent=st.sampled_from(AGENTS))
    def agent_writes(self, agent: UUID) -> None:
        message_id = uuid4()
        self.attempt(not self.resolved, lambda: self.conversation.send_agent_message(
            actor="a", at=self.tick(), message_id=message_id, agent_id=agent, body="Hi."))
        if self.resolved:
            return
        if self.status is not AGENT or self.agent != agent:
            self.joined(agent)
        self.sent(message_id)

    @rule()
    def system_writes(self) -> None:
        message_id = uuid4()
        self.attempt(not self.resolved, lambda: self.conversation.send_system_message(
            actor="s", at=self.tick(), message_id=message_id, body="We are closed today."))
        if not self.resolved:
            self.sent(message_id)

    # -- the outbox and the vendor ----------------------------------------------------------

    @rule(data=st.data())
    def dispatch(self, data: st.DataObject) -> None:
        message_id = self.some_message(data)
        message = self.outbound.get(message_id)
        allowed = message is not None and message.delivery is Delivery.QUEUED
        attempt = self.attempt(allowed, lambda: self.conversation.begin_dispatch(
            actor="o", at=self.tick(), message_id=message_id))
        if allowed:
            assert message is not None
            message.attempts += 1
            assert attempt == message.attempts
            self.events += 1

    @rule(data=st.data(), status=st.sampled_from(VENDOR_STATUSES),
          external_id=st.sampled_from(VENDOR_IDS))
    def vendor_reports(self, data: st.DataObject, status: Delivery,
                       external_id: str | None) -> None:
        message_id = self.some_message(data)
        message = self.outbound.get(message_id)
        later = message is not None and RANK[status] > RANK[message.delivery]
        allowed = message is not None and status is not Delivery.QUEUED and (
            not later or external_id is None or message.external_id in (None, external_id))
        changed = self.attempt(allowed, lambda: self.conversation.update_delivery(
            actor="v", at=self.tick(), message_id=message_id, status=status,
            external_id=external_id))
        if not allowed:
            return
        assert message is not None
        assert changed is later
        if later:
            message.delivery = status
            message.external_id = external_id or message.external_id
            if external_id:
                self.seen.add(external_id)
            self.events += 1

    @precondition(lambda self: any(m.external_id and m.delivery is not Delivery.READ
                                   for m in self.outbound.values()))
    @rule(data=st.data())
    def vendor_names_another_id(self, data: st.DataObject) -> None:
        """A later status naming another vendor id than the message was sent with."""
        message_id = data.draw(st.sampled_from(
            [i for i, m in self.outbound.items() if m.external_id
             and m.delivery is not Delivery.READ]), label="message")
        other = "SM3" if self.outbound[message_id].external_id != "SM3" else "SM2"
        self.attempt(False, lambda: self.conversation.update_delivery(
            actor="v", at=self.tick(), message_id=message_id, status=Delivery.READ,
            external_id=other))

    # -- people -----------------------------------------------------------------------------

    @rule()
    def hand_off(self) -> None:
        allowed = self.status not in (RESOLVED, WAITING)
        self.attempt(allowed, lambda: self.conversation.hand_off(
            actor="a", at=self.tick(), reason=HandoffReason.AGENT_REQUEST, detail=None))
        if allowed:
            self.handed_off(HandoffReason.AGENT_REQUEST)

    @rule(agent=st.sampled_from(AGENTS))
    def join(self, agent: UUID) -> None:
        joined = self.attempt(not self.resolved, lambda: self.conversation.join(
            actor="a", at=self.tick(), agent_id=agent))
        if self.resolved:
            return
        again = self.status is AGENT and self.agent == agent
        assert joined is (not again)
        if not again:
            self.joined(agent)

    @rule(code=st.sampled_from(["APPOINTMENT_BOOKED", "PLAN_SENT", "MADE_UP_CODE"]))
    def resolve(self, code: str) -> None:
        allowed = not self.resolved and code != "MADE_UP_CODE"
        self.attempt(allowed, lambda: self.conversation.resolve(
            actor="a", at=self.tick(), disposition=DispositionCode(code),
            tenant_codes=TENANT_CODES, note=None))
        if allowed:
            self.status, self.disposition = RESOLVED, code
            self.events += 1

    @rule(score=st.integers(-1, 6))
    def csat(self, score: int) -> None:
        allowed = 1 <= score <= 5 and self.resolved and self.csat_score is None
        self.attempt(allowed, lambda: self.conversation.record_csat(
            actor="c", at=self.tick(), score=Rating.csat(score), comment=None))
        if allowed:
            self.csat_score = score
            self.events += 1

    @rule(score=st.integers(-1, 11))
    def nps(self, score: int) -> None:
        allowed = 0 <= score <= 10 and self.resolved and self.nps_score is None
        self.attempt(allowed, lambda: self.conversation.record_nps(
            actor="c", at=self.tick(), score=Rating.nps(score), comment=None))
        if allowed:
            self.nps_score = score
            self.events += 1

    # -- calls ------------------------------------------------------------------------------

    @rule(sid=st.sampled_from(["CA1", "CA2"]), status=st.sampled_from(CALL_STATUSES),
          duration=st.sampled_from([None, 0, 42, 90_000]),
          recording=st.sampled_from([None, "https://rec.example/1"]))
    def call_status(self, sid: str, status: str, duration: int | None,
                    recording: str | None) -> None:
        known = self.calls.get(sid)
        repeat = known is not None and status in known.statuses and not recording
        allowed = repeat or duration is None or 0 <= duration <= 86_400
        recorded = self.attempt(allowed, lambda: self.conversation.record_call(
            actor="t", at=self.tick(), call_sid=sid, status=status, direction="inbound",
            duration_seconds=duration, recording_url=recording))
        if not allowed:
            return
        assert recorded is (not repeat)
        if repeat:
            return
        call = self.calls.setdefault(sid, CallModel())
        call.statuses.append(status)
        call.answered = call.answered or status == "in-progress" or (
            status == "completed" and (duration or 0) > 0)
        call.duration = duration if duration is not None else call.duration
        call.recording = recording or call.recording
        self.events += 1

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def agrees_with_the_model(self) -> None:
        c = self.conversation
        assert c.status is self.status
        assert (c.agent_id, c.handoff_reason, c.disposition) == (
            self.agent, self.handoff_reason, self.disposition)
        assert (c.csat, c.nps, c.ai_turns) == (self.csat_score, self.nps_score, self.ai_turns)
        assert c.ai_turns < RULES.max_ai_turns, "the turn limit always hands off"
        if c.status is AGENT:
            assert c.agent_id is not None
        elif c.status is not RESOLVED:
            assert c.agent_id is None, "only an agent handling it holds a conversation"
        assert c.external_ids == self.seen
        assert c.draft_ids == self.drafts

    @invariant()
    def messages_are_kept_in_order_with_their_delivery(self) -> None:
        ordered = self.conversation.ordered_messages()
        assert [m.sequence for m in ordered] == list(range(1, len(ordered) + 1))
        assert [m.id for m in ordered if m.direction == "inbound"] == self.inbound
        outbound = {m.id: m for m in ordered if m.direction == "outbound"}
        assert outbound.keys() == self.outbound.keys()
        for message_id, model in self.outbound.items():
            message = outbound[message_id]
            assert (message.delivery, message.external_id, message.attempts) == (
                model.delivery, model.external_id, model.attempts)

    @invariant()
    def calls_are_recorded_once_per_status(self) -> None:
        calls = self.conversation.calls
        assert calls.keys() == self.calls.keys()
        for sid, model in self.calls.items():
            call = calls[sid]
            assert (list(call.statuses), call.answered, call.duration_seconds,
                    call.recording_url) == (model.statuses, model.answered, model.duration,
                                            model.recording)

    @invariant()
    def claims_follow_the_state(self) -> None:
        c = self.conversation
        expected = {c.external_claim(self.channel, x) for x in self.seen}
        expected |= {c.call_claim(sid) for sid in self.calls}
        if not self.resolved:
            expected.add(c.open_claim(c.contact_id, self.channel))
        assert c.claims == expected

    @invariant()
    def version_counts_the_events(self) -> None:
        assert self.conversation.version == len(self.conversation.pending_events) == self.events

    @invariant()
    def replaying_the_events_rebuilds_the_conversation(self) -> None:
        events = copy.deepcopy(self.conversation.pending_events)
        rebuilt = reduce(lambda aggregate, e: e.mutate(aggregate), events, None)
        assert isinstance(rebuilt, Conversation)
        assert state_of(rebuilt) == state_of(self.conversation)

    @invariant()
    def every_event_is_the_conversations(self) -> None:
        c = self.conversation
        assert all(e.originator_id == c.id and e.tenant_id == c.tenant_id  # type: ignore[attr-defined]
                   for e in c.pending_events)
        versions = [e.originator_version for e in c.pending_events]
        assert versions == list(range(1, len(versions) + 1))


TestConversationLifecycle = ConversationMachine.TestCase
TestConversationLifecycle.settings = settings(max_examples=200, stateful_step_count=40,
                                              deadline=None)
