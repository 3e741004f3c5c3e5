"""The Conversation aggregate: open -> ai_handling | waiting_for_agent | agent_handling -> resolved.

Every message is an event, appended in order. Inbound messages carry the vendor's id (Twilio
MessageSid, email Message-ID); the conversation claims each one, so a webhook retry that names an
id already seen is recognised (ADR 0008 claims) and ignored. Message bodies and addresses are
personal: the conversation's data subject is its contact, so they are encrypted with the
contact's key and shredded with it. A message's body is also sealed under a key of its own
(``sealed_per``): ``delete_message_bodies`` records which bodies go, and the commit destroys
their keys (retention, ADR 0086), leaving the message's other facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.conversations.handoff import HandoffReason, HandoffRules
from domain.conversations.messages import Call, Direction, Message
from domain.conversations.values import (
    AI_MAY_ANSWER,
    AI_MAY_DRAFT,
    Author,
    Channel,
    ConversationStatus,
    Delivery,
    DispositionCode,
    Rating,
)
from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import InvalidValue, RuleViolated
from domain.shared.values import bounded_text

MAX_BODY = 10_000
DELETED_BODY = "[erased]"
"""What a deleted body reads (as a body sealed under a destroyed key reads on replay)."""


@dataclass(frozen=True, slots=True)
class AiProvenance:
    """What produced an AI answer (ADR 0021): who, with what, at what cost, from which sources."""

    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: int
    cost_micros: int
    confidence: float
    passages: tuple[str, ...]
    memory_ids: tuple[str, ...]
    fallbacks: tuple[str, ...]
    prompt_version: str
    based_on_version: int

    def event_fields(self) -> dict[str, Any]:
        """The provenance as the fields of the event that records it (an answer or a draft)."""
        return {"provider": self.provider, "model": self.model, "tokens_in": self.tokens_in,
                "tokens_out": self.tokens_out, "latency_ms": self.latency_ms,
                "cost_micros": self.cost_micros, "confidence": round(self.confidence, 4),
                "passages": list(self.passages), "memory_ids": list(self.memory_ids),
                "fallbacks": list(self.fallbacks), "prompt_version": self.prompt_version,
                "based_on_version": self.based_on_version}


class Conversation(TenantAggregate):
    class ConversationStarted(TenantAggregate.Created):
        personal = frozenset({"subject", "customer_address"})
        contact_id: UUID
        channel: str
        subject: str | None
        customer_address: str | None
        our_address: str | None

    class MessageReceived(TenantAggregate.Event):
        personal = frozenset({"body", "media_urls"})
        sealed_per = "message_id"
        message_id: UUID
        body: str
        external_id: str | None
        media_urls: list[str]

    class MessageSent(TenantAggregate.Event):
        personal = frozenset({"body"})
        sealed_per = "message_id"
        message_id: UUID
        author: str
        author_id: str | None
        body: str
        channel: str
        delivery: str
        in_reply_to: str | None

    class MessageDispatchAttempted(TenantAggregate.Event):
        message_id: UUID
        attempt: int

    class MessageDeliveryUpdated(TenantAggregate.Event):
        message_id: UUID
        status: str
        external_id: str | None
        error: str | None

    class AiReplyGenerated(TenantAggregate.Event):
        personal = frozenset({"withheld_draft"})
        message_id: UUID
        provider: str
        model: str
        tokens_in: int
        tokens_out: int
        latency_ms: int
        cost_micros: int
        confidence: float
        passages: list[str]
        memory_ids: list[str]
        fallbacks: list[str]
        prompt_version: str
        based_on_version: int
        delivered: bool
        withheld_draft: str | None

    class AiDraftSuggested(TenantAggregate.Event):
        """A reply the assistant suggested to the person working the conversation: nothing
        is sent; the agent edits it and sends their own message. Provenance as an answer's."""

        personal = frozenset({"text"})
        draft_id: UUID
        text: str
        provider: str
        model: str
        tokens_in: int
        tokens_out: int
        latency_ms: int
        cost_micros: int
        confidence: float
        passages: list[str]
        memory_ids: list[str]
        fallbacks: list[str]
        prompt_version: str
        based_on_version: int

    class MessageBodiesDeleted(TenantAggregate.Event):
        """These messages' bodies (and attachments) are gone: their keys were destroyed in
        the same commit. ``message_versions``: the versions of the events that recorded them."""

        message_ids: list[str]
        message_versions: list[int]
        before: datetime

    class HandedOff(TenantAggregate.Event):
        personal = frozenset({"detail"})
        reason: str
        detail: str | None

    class AgentJoined(TenantAggregate.Event):
        agent_id: UUID

    class ConversationResolved(TenantAggregate.Event):
        personal = frozenset({"note"})
        disposition: str
        note: str | None

    class CsatRecorded(TenantAggregate.Event):
        personal = frozenset({"comment"})
        score: int
        comment: str | None

    class NpsRecorded(TenantAggregate.Event):
        personal = frozenset({"comment"})
        score: int
        comment: str | None

    class CallRecorded(TenantAggregate.Event):
        personal = frozenset({"recording_url"})
        call_sid: str
        status: str
        direction: str | None
        answered: bool
        duration_seconds: int | None
        recording_url: str | None

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def start(cls, *, conversation_id: UUID, tenant_id: UUID, actor: str, at: datetime,
              contact_id: UUID, channel: Channel, subject: str | None = None,
              customer_address: str | None = None,
              our_address: str | None = None) -> Conversation:
        return cls._create(
            cls.ConversationStarted, id=conversation_id, tenant_id=tenant_id, actor=actor,
            timestamp=at, contact_id=contact_id, channel=channel.value,
            subject=bounded_text("subject", subject, limit=500),
            customer_address=bounded_text("customer_address", customer_address, limit=320),
            our_address=bounded_text("our_address", our_address, limit=320))

    def __init__(self, *, tenant_id: UUID, contact_id: UUID, channel: str, subject: str | None,
                 customer_address: str | None, our_address: str | None) -> None:
        self.tenant_id = tenant_id
        self.contact_id = contact_id
        self.channel = Channel(channel)
        self.subject = subject
        self.customer_address = customer_address
        self.our_address = our_address
        self.status = ConversationStatus.OPEN
        self.messages: dict[UUID, Message] = {}
        self.external_ids: set[str] = set()
        self.ai_turns = 0
        self.draft_ids: set[UUID] = set()
        self.agent_id: UUID | None = None
        self.handoff_reason: str | None = None
        self.disposition: str | None = None
        self.csat: int | None = None
        self.nps: int | None = None
        self.calls: dict[str, Call] = {}

    # -- facts ------------------------------------------------------------------------------

    @property
    def subject_id(self) -> UUID:
        return self.contact_id

    @property
    def is_resolved(self) -> bool:
        return self.status is ConversationStatus.RESOLVED

    @property
    def claims(self) -> frozenset[Claim]:
        """While open, the conversation is *the* one of its contact on its channel; it holds
        every vendor id it has seen (dedupe, email threading) and the calls it records."""
        held = {self.external_claim(self.channel, x) for x in self.external_ids}
        held.update(Claim("call", sid) for sid in self.calls)
        if not self.is_resolved:
            held.add(self.open_claim(self.contact_id, self.channel))
        return frozenset(held)

    @staticmethod
    def open_claim(contact_id: UUID, channel: Channel) -> Claim:
        return Claim("open_conversation", f"{contact_id}:{channel.value}")

    @staticmethod
    def external_claim(channel: Channel, external_id: str) -> Claim:
        scope = "email_message" if channel is Channel.EMAIL else "vendor_message"
        return Claim(scope, f"{channel.value}:{external_id}")

    @staticmethod
    def call_claim(call_sid: str) -> Claim:
        return Claim("call", call_sid)

    def ordered_messages(self) -> list[Message]:
        return sorted(self.messages.values(), key=lambda m: m.sequence)

    def message(self, message_id: UUID) -> Message:
        try:
            return self.messages[message_id]
        except KeyError:
            raise RuleViolated("no such message in this conversation") from None

    def has_seen(self, external_id: str) -> bool:
        return external_id in self.external_ids

    @property
    def last_inbound_external_id(self) -> str | None:
        inbound = [m for m in self.messages.values()
                   if m.direction is Direction.INBOUND and m.external_id]
        return max(inbound, key=lambda m: m.sequence).external_id if inbound else None

    # -- customer messages ------------------------------------------------------------------

    def receive(self, *, actor: str, at: datetime, message_id: UUID, body: str,
                external_id: str | None, rules: HandoffRules,
                media_urls: tuple[str, ...] = ()) -> bool:
        """Append the customer's message; False (nothing recorded) for an id already seen.

        A message asking for a person hands the conversation off at once."""
        if external_id is not None and external_id in self.external_ids:
            return False
        self._must_not_be_resolved("receive messages")
        text = _body(body, allow_empty=bool(media_urls))
        if len(media_urls) > 10:
            raise InvalidValue("media_urls", "at most 10 attachments")
        self._received(actor=actor, timestamp=at, message_id=message_id, body=text,
                       external_id=bounded_text("external_id", external_id, limit=998),
                       media_urls=list(media_urls))
        if self.status in AI_MAY_ANSWER:
            asked = rules.requested_in(text)
            if asked is not None:
                reason, word = asked
                self._handed_off(actor=actor, timestamp=at, reason=reason.value,
                                 detail=f"the customer wrote {word!r}")
        return True

    @event(MessageReceived)
    def _received(self, actor: str, timestamp: datetime, message_id: UUID, body: str,
                  external_id: str | None, media_urls: list[str]) -> None:
        self.messages[message_id] = Message(
            id=message_id, sequence=len(self.messages) + 1, direction=Direction.INBOUND,
            author="customer", body=body, at=timestamp, external_id=external_id,
            event_version=self.version + 1)
        if external_id is not None:
            self.external_ids.add(external_id)

    # -- outbound messages ------------------------------------------------------------------

    def send_agent_message(self, *, actor: str, at: datetime, message_id: UUID, agent_id: UUID,
                           body: str) -> None:
        """An agent writes; an agent who had not joined joins first."""
        self._must_not_be_resolved("send messages")
        text = _body(body)
        if self.status is not ConversationStatus.AGENT_HANDLING or self.agent_id != agent_id:
            self._agent_joined(actor=actor, timestamp=at, agent_id=agent_id)
        self._sent(actor=actor, timestamp=at, message_id=message_id, author=Author.AGENT.value,
                   author_id=str(agent_id), body=text, channel=self.channel.value,
                   delivery=self._initial_delivery().value,
                   in_reply_to=self.last_inbound_external_id)

    def send_system_message(self, *, actor: str, at: datetime, message_id: UUID,
                            body: str) -> None:
        self._must_not_be_resolved("send messages")
        self._sent(actor=actor, timestamp=at, message_id=message_id,
                   author=Author.SYSTEM.value, author_id=None, body=_body(body),
                   channel=self.channel.value, delivery=self._initial_delivery().value,
                   in_reply_to=self.last_inbound_external_id)

    def record_ai_reply(self, *, actor: str, at: datetime, message_id: UUID, body: str,
                        provenance: AiProvenance, rules: HandoffRules) -> bool:
        """Store a complete AI answer once, with its provenance. Returns True if it was
        delivered; a not-confident answer is kept as a withheld draft and the conversation is
        handed off instead. The N-th AI answer in a row hands off after it is sent."""
        if message_id in self.messages:
            raise RuleViolated("this reply is already stored")
        if self.status not in AI_MAY_ANSWER:
            raise RuleViolated(f"the assistant cannot answer a conversation that is "
                               f"{self.status.value}")
        text = _body(body)
        confident = provenance.confidence >= rules.min_confidence
        self._ai_reply_generated(
            actor=actor, timestamp=at, message_id=message_id, **provenance.event_fields(),
            delivered=confident, withheld_draft=None if confident else text)
        if not confident:
            self._handed_off(actor=actor, timestamp=at, reason=HandoffReason.LOW_CONFIDENCE.value,
                             detail=f"confidence {provenance.confidence:.2f} is below "
                                    f"{rules.min_confidence:.2f}")
            return False
        self._sent(actor=actor, timestamp=at, message_id=message_id, author=Author.AI.value,
                   author_id=f"{provenance.provider}:{provenance.model}", body=text,
                   channel=self.channel.value, delivery=self._initial_delivery().value,
                   in_reply_to=self.last_inbound_external_id)
        if self.ai_turns >= rules.max_ai_turns:
            self._handed_off(actor=actor, timestamp=at, reason=HandoffReason.AI_TURN_LIMIT.value,
                             detail=f"{self.ai_turns} assistant answers in a row")
        return True

    @event(AiReplyGenerated)
    def _ai_reply_generated(self, actor: str, timestamp: datetime, message_id: UUID,
                            provider: str, model: str, tokens_in: int, tokens_out: int,
                            latency_ms: int, cost_micros: int, confidence: float,
                            passages: list[str], memory_ids: list[str], fallbacks: list[str],
                            prompt_version: str, based_on_version: int, delivered: bool,
                            withheld_draft: str | None) -> None:
        if delivered:
            self.status = ConversationStatus.AI_HANDLING

    def record_ai_draft(self, *, actor: str, at: datetime, draft_id: UUID, body: str,
                        provenance: AiProvenance) -> None:
        """Store a reply the assistant drafted for the person working the conversation, once,
        with its provenance. Nothing is sent: no message, no status change, no AI turn."""
        if draft_id in self.draft_ids:
            raise RuleViolated("this draft is already stored")
        if self.status not in AI_MAY_DRAFT:
            raise RuleViolated(f"the assistant drafts replies only while a person works the "
                               f"conversation; it is {self.status.value}")
        self._ai_draft_suggested(actor=actor, timestamp=at, draft_id=draft_id,
                                 text=_body(body), **provenance.event_fields())

    @event(AiDraftSuggested)
    def _ai_draft_suggested(self, actor: str, timestamp: datetime, draft_id: UUID, text: str,
                            provider: str, model: str, tokens_in: int, tokens_out: int,
                            latency_ms: int, cost_micros: int, confidence: float,
                            passages: list[str], memory_ids: list[str], fallbacks: list[str],
                            prompt_version: str, based_on_version: int) -> None:
        self.draft_ids.add(draft_id)

    @event(MessageSent)
    def _sent(self, actor: str, timestamp: datetime, message_id: UUID, author: str,
              author_id: str | None, body: str, channel: str, delivery: str,
              in_reply_to: str | None) -> None:
        self.messages[message_id] = Message(
            id=message_id, sequence=len(self.messages) + 1, direction=Direction.OUTBOUND,
            author=author, body=body, at=timestamp, delivery=Delivery(delivery),
            in_reply_to=in_reply_to, event_version=self.version + 1)
        if author == Author.AI.value:
            self.ai_turns += 1

    def _initial_delivery(self) -> Delivery:
        return Delivery.QUEUED if self.channel.delivers_outbound else Delivery.NOT_APPLICABLE

    # -- the outbox -------------------------------------------------------------------------

    def begin_dispatch(self, *, actor: str, at: datetime, message_id: UUID) -> int:
        """Record that a send is about to be attempted (before the vendor is called)."""
        message = self.message(message_id)
        if message.delivery is not Delivery.QUEUED:
            raise RuleViolated(f"the message is already {message.delivery.value}")
        attempt = message.attempts + 1
        self._dispatch_attempted(actor=actor, timestamp=at, message_id=message_id,
                                 attempt=attempt)
        return attempt

    @event(MessageDispatchAttempted)
    def _dispatch_attempted(self, actor: str, timestamp: datetime, message_id: UUID,
                            attempt: int) -> None:
        self.messages[message_id] = replace(self.messages[message_id], attempts=attempt,
                                            attempted_at=timestamp)

    def update_delivery(self, *, actor: str, at: datetime, message_id: UUID, status: Delivery,
                        external_id: str | None, error: str | None = None) -> bool:
        """A vendor's word on a message. Repeats and out-of-order regressions are ignored."""
        message = self.message(message_id)
        if message.direction is not Direction.OUTBOUND:
            raise RuleViolated("only outbound messages have a delivery status")
        if status is Delivery.QUEUED or status is Delivery.NOT_APPLICABLE:
            raise InvalidValue("status", "is not a vendor delivery status")
        if status.rank <= message.delivery.rank:
            return False
        if external_id is not None and message.external_id not in (None, external_id):
            raise RuleViolated("the message was sent with another vendor id")
        self._delivery_updated(actor=actor, timestamp=at, message_id=message_id,
                               status=status.value, external_id=external_id,
                               error=bounded_text("error", error, limit=500))
        return True

    @event(MessageDeliveryUpdated)
    def _delivery_updated(self, actor: str, timestamp: datetime, message_id: UUID, status: str,
                          external_id: str | None, error: str | None) -> None:
        message = self.messages[message_id]
        self.messages[message_id] = replace(
            message, delivery=Delivery(status), external_id=external_id or message.external_id)
        if external_id:
            self.external_ids.add(external_id)

    # -- people -----------------------------------------------------------------------------

    def hand_off(self, *, actor: str, at: datetime, reason: HandoffReason,
                 detail: str | None) -> None:
        self._must_not_be_resolved("be handed off")
        if self.status is ConversationStatus.WAITING_FOR_AGENT:
            raise RuleViolated("the conversation is already waiting for an agent")
        self._handed_off(actor=actor, timestamp=at, reason=reason.value,
                         detail=bounded_text("detail", detail, limit=1000))

    @event(HandedOff)
    def _handed_off(self, actor: str, timestamp: datetime, reason: str,
                    detail: str | None) -> None:
        self.status = ConversationStatus.WAITING_FOR_AGENT
        self.handoff_reason = reason
        self.agent_id = None
        self.ai_turns = 0

    def join(self, *, actor: str, at: datetime, agent_id: UUID) -> bool:
        self._must_not_be_resolved("be joined")
        if self.status is ConversationStatus.AGENT_HANDLING and self.agent_id == agent_id:
            return False
        self._agent_joined(actor=actor, timestamp=at, agent_id=agent_id)
        return True

    @event(AgentJoined)
    def _agent_joined(self, actor: str, timestamp: datetime, agent_id: UUID) -> None:
        self.status = ConversationStatus.AGENT_HANDLING
        self.agent_id = agent_id
        self.ai_turns = 0

    def resolve(self, *, actor: str, at: datetime, disposition: DispositionCode,
                tenant_codes: frozenset[str], note: str | None) -> None:
        self._must_not_be_resolved("be resolved again")
        if not disposition.known_to(tenant_codes):
            raise InvalidValue("disposition", f"{disposition.value} is not a standard or "
                                              "tenant disposition code")
        self._resolved(actor=actor, timestamp=at, disposition=disposition.value,
                       note=bounded_text("note", note, limit=4000))

    @event(ConversationResolved)
    def _resolved(self, actor: str, timestamp: datetime, disposition: str,
                  note: str | None) -> None:
        self.status = ConversationStatus.RESOLVED
        self.disposition = disposition

    def record_csat(self, *, actor: str, at: datetime, score: Rating,
                    comment: str | None) -> None:
        self._must_be_resolved("CSAT")
        if self.csat is not None:
            raise RuleViolated("CSAT is already recorded for this conversation")
        self._csat(actor=actor, timestamp=at, score=score.value,
                   comment=bounded_text("comment", comment, limit=2000))

    @event(CsatRecorded)
    def _csat(self, actor: str, timestamp: datetime, score: int, comment: str | None) -> None:
        self.csat = score

    def record_nps(self, *, actor: str, at: datetime, score: Rating,
                   comment: str | None) -> None:
        self._must_be_resolved("NPS")
        if self.nps is not None:
            raise RuleViolated("NPS is already recorded for this conversation")
        self._nps(actor=actor, timestamp=at, score=score.value,
                  comment=bounded_text("comment", comment, limit=2000))

    @event(NpsRecorded)
    def _nps(self, actor: str, timestamp: datetime, score: int, comment: str | None) -> None:
        self.nps = score

    # -- calls ------------------------------------------------------------------------------

    def record_call(self, *, actor: str, at: datetime, call_sid: str, status: str,
                    direction: str | None, duration_seconds: int | None,
                    recording_url: str | None) -> bool:
        """A voice status callback. The same status of the same call twice is ignored."""
        sid = bounded_text("call_sid", call_sid, limit=64)
        if not sid:
            raise InvalidValue("call_sid", "is required")
        known = self.calls.get(sid)
        if known is not None and status in known.statuses and not recording_url:
            return False
        if duration_seconds is not None and not 0 <= duration_seconds <= 86_400:
            raise InvalidValue("duration_seconds", "must be between 0 and 86400")
        talked = status == "completed" and (duration_seconds or 0) > 0
        answered = status == "in-progress" or talked or bool(known and known.answered)
        self._call_recorded(actor=actor, timestamp=at, call_sid=sid, status=status,
                            direction=direction, answered=answered,
                            duration_seconds=duration_seconds,
                            recording_url=bounded_text("recording_url", recording_url,
                                                       limit=1000))
        return True

    @event(CallRecorded)
    def _call_recorded(self, actor: str, timestamp: datetime, call_sid: str, status: str,
                       direction: str | None, answered: bool, duration_seconds: int | None,
                       recording_url: str | None) -> None:
        known = self.calls.get(call_sid)
        self.calls[call_sid] = Call(
            sid=call_sid, statuses=(*(known.statuses if known else ()), status),
            answered=answered,
            duration_seconds=duration_seconds if duration_seconds is not None
            else (known.duration_seconds if known else None),
            recording_url=recording_url or (known.recording_url if known else None))

    # -- retention --------------------------------------------------------------------------

    def delete_message_bodies(self, *, actor: str, at: datetime, before: datetime,
                              message_ids: Iterable[UUID]) -> list[UUID]:
        """Delete the bodies of those of ``message_ids`` written before ``before``; the
        caller destroys their keys in the same commit. A body already deleted, and one still
        waiting in the outbox, is left alone. Returns the ids whose bodies go (none: nothing
        is recorded)."""
        wanted = set(message_ids)
        chosen = [m for m in self.ordered_messages()
                  if m.id in wanted and m.at < before and not m.body_deleted
                  and m.delivery is not Delivery.QUEUED]
        if chosen:
            self._bodies_deleted(actor=actor, timestamp=at,
                                 message_ids=[str(m.id) for m in chosen],
                                 message_versions=[m.event_version for m in chosen],
                                 before=before)
        return [m.id for m in chosen]

    @event(MessageBodiesDeleted)
    def _bodies_deleted(self, actor: str, timestamp: datetime, message_ids: list[str],
                        message_versions: list[int], before: datetime) -> None:
        for raw in message_ids:
            found = self.messages.get(UUID(raw))
            if found is not None:
                self.messages[found.id] = replace(found, body=DELETED_BODY, body_deleted=True)

    # -- rules ------------------------------------------------------------------------------

    def _must_not_be_resolved(self, verb: str) -> None:
        if self.is_resolved:
            raise RuleViolated(f"a resolved conversation cannot {verb}")

    def _must_be_resolved(self, what: str) -> None:
        if not self.is_resolved:
            raise RuleViolated(f"{what} is recorded once the conversation is resolved")


def _body(body: str, *, allow_empty: bool = False) -> str:
    # NUL characters are dropped, not refused: a message from a channel must never be lost,
    # and PostgreSQL text (the read models) cannot hold them.
    text = (body or "").replace("\x00", "").strip()
    if not text and not allow_empty:
        raise InvalidValue("body", "a message needs text")
    if len(text) > MAX_BODY:
        raise InvalidValue("body", f"must be at most {MAX_BODY} characters")
    return text
