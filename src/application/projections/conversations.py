"""The conversations read model: one row per conversation, one per message (with delivery
status and, for AI answers, their provenance). Erasing a contact purges both; deleting
message bodies (retention, ADR 0086) blanks those messages' bodies and attachments and keeps
the rest of them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.projections.base import Projection, Row, RowKey, ViewRows
from domain.contacts import Contact
from domain.conversations import Conversation, ConversationStatus
from domain.conversations.conversation import DELETED_BODY

TABLE = "conversations"
MESSAGES = "conversation_messages"
C = Conversation


def _conversation(event: Any) -> list[tuple[str, RowKey]]:
    return [(TABLE, (event.tenant_id, event.originator_id))]


def _deleted_messages(event: Any) -> list[tuple[str, RowKey]]:
    return [(MESSAGES, (event.tenant_id, UUID(m))) for m in event.message_ids]


def _with_message(event: Any) -> list[tuple[str, RowKey]]:
    return [(TABLE, (event.tenant_id, event.originator_id)),
            (MESSAGES, (event.tenant_id, event.message_id))]


class ConversationsProjection(Projection):
    name = "conversations"
    version = 1
    tables = (TABLE, MESSAGES)

    def __init__(self) -> None:
        super().__init__()
        self.on(C.ConversationStarted, self._started, _conversation)
        self.on(C.MessageReceived, self._received, _with_message)
        self.on(C.AiReplyGenerated, self._ai_reply, _with_message, uses_personal_data=False)
        self.on(C.MessageSent, self._sent, _with_message)
        # A draft for the agent changes no message and no status, only the version (If-Match).
        self.on(C.AiDraftSuggested, self._update(lambda e, r: {}), _conversation,
                uses_personal_data=False)
        self.on(C.MessageDispatchAttempted, self._attempted, _with_message)
        self.on(C.MessageDeliveryUpdated, self._delivery, _with_message)
        self.on(C.HandedOff, self._update(lambda e, r: {
            "status": ConversationStatus.WAITING_FOR_AGENT.value, "handoff_reason": e.reason,
            "agent_id": None, "ai_turns": 0}), _conversation, uses_personal_data=False)
        self.on(C.AgentJoined, self._update(lambda e, r: {
            "status": ConversationStatus.AGENT_HANDLING.value, "agent_id": e.agent_id,
            "ai_turns": 0}), _conversation)
        self.on(C.ConversationResolved, self._update(lambda e, r: {
            "status": ConversationStatus.RESOLVED.value, "disposition": e.disposition,
            "resolved_at": e.timestamp}), _conversation, uses_personal_data=False)
        self.on(C.CsatRecorded, self._update(lambda e, r: {"csat": e.score}), _conversation,
                uses_personal_data=False)
        self.on(C.NpsRecorded, self._update(lambda e, r: {"nps": e.score}), _conversation,
                uses_personal_data=False)
        self.on(C.CallRecorded, self._update(self._call), _conversation)
        self.on(C.MessageBodiesDeleted, self._bodies_deleted, _deleted_messages,
                uses_personal_data=False)
        self.on(Contact.ContactErased, self._contact_erased, lambda e: [])

    @staticmethod
    def _started(event: Any, rows: ViewRows) -> None:
        rows.put(TABLE, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id,
            "contact_id": event.contact_id, "channel": event.channel,
            "status": ConversationStatus.OPEN.value, "version": event.originator_version,
            "subject": event.subject, "customer_address": event.customer_address,
            "our_address": event.our_address, "agent_id": None, "handoff_reason": None,
            "disposition": None, "csat": None, "nps": None, "ai_turns": 0, "message_count": 0,
            "withheld_drafts": 0, "calls": {}, "created_at": event.timestamp,
            "updated_at": event.timestamp, "last_message_at": None, "resolved_at": None})

    @staticmethod
    def _update(change: Any) -> Any:
        def handler(event: Any, rows: ViewRows) -> None:
            key = (event.tenant_id, event.originator_id)
            row = rows.get(TABLE, key)
            if row is None:  # purged by an erasure
                return
            rows.put(TABLE, key, {**row, **change(event, row),
                                  "version": event.originator_version,
                                  "updated_at": event.timestamp})
        return handler

    def _message(self, event: Any, rows: ViewRows, conversation: Row, fields: Row) -> None:
        key = (event.tenant_id, event.message_id)
        row = rows.get(MESSAGES, key) or {
            "tenant_id": event.tenant_id, "id": event.message_id,
            "conversation_id": event.originator_id, "contact_id": conversation["contact_id"],
            "sequence": conversation["message_count"] + 1, "external_id": None,
            "attempts": 0, "error": None, "ai": None, "author_id": None}
        rows.put(MESSAGES, key, {**row, **fields})

    def _received(self, event: Any, rows: ViewRows) -> None:
        conversation = rows.get(TABLE, (event.tenant_id, event.originator_id))
        if conversation is None:
            return
        self._message(event, rows, conversation, {
            "direction": "inbound", "author": "customer", "body": event.body,
            "at": event.timestamp, "external_id": event.external_id,
            "delivery": "not_applicable", "media_urls": list(event.media_urls)})
        self._update(lambda e, r: {"message_count": r["message_count"] + 1,
                                   "last_message_at": e.timestamp})(event, rows)

    def _ai_reply(self, event: Any, rows: ViewRows) -> None:
        conversation = rows.get(TABLE, (event.tenant_id, event.originator_id))
        if conversation is None:
            return
        if not event.delivered:
            self._update(lambda e, r: {"withheld_drafts": r["withheld_drafts"] + 1})(event, rows)
            return
        provenance = {"provider": event.provider, "model": event.model,
                      "tokens_in": event.tokens_in, "tokens_out": event.tokens_out,
                      "latency_ms": event.latency_ms, "cost_micros": event.cost_micros,
                      "confidence": event.confidence, "passages": list(event.passages),
                      "memory_ids": list(event.memory_ids), "fallbacks": list(event.fallbacks),
                      "prompt_version": event.prompt_version}
        self._message(event, rows, conversation, {"ai": provenance})
        self._update(lambda e, r: {"status": ConversationStatus.AI_HANDLING.value})(event, rows)

    def _sent(self, event: Any, rows: ViewRows) -> None:
        conversation = rows.get(TABLE, (event.tenant_id, event.originator_id))
        if conversation is None:
            return
        self._message(event, rows, conversation, {
            "direction": "outbound", "author": event.author, "author_id": event.author_id,
            "body": event.body, "at": event.timestamp, "delivery": event.delivery,
            "media_urls": []})
        turns = 1 if event.author == "ai" else 0
        self._update(lambda e, r: {"message_count": r["message_count"] + 1,
                                   "ai_turns": r["ai_turns"] + turns,
                                   "last_message_at": e.timestamp})(event, rows)

    @staticmethod
    def _bodies_deleted(event: Any, rows: ViewRows) -> None:
        for message_id in event.message_ids:
            key = (event.tenant_id, UUID(message_id))
            row = rows.get(MESSAGES, key)
            if row is not None:
                rows.put(MESSAGES, key, {**row, "body": DELETED_BODY, "media_urls": []})

    def _attempted(self, event: Any, rows: ViewRows) -> None:
        key = (event.tenant_id, event.message_id)
        row = rows.get(MESSAGES, key)
        if row is not None:
            rows.put(MESSAGES, key, {**row, "attempts": event.attempt})
        self._update(lambda e, r: {})(event, rows)

    def _delivery(self, event: Any, rows: ViewRows) -> None:
        key = (event.tenant_id, event.message_id)
        row = rows.get(MESSAGES, key)
        if row is not None:
            rows.put(MESSAGES, key, {**row, "delivery": event.status, "error": event.error,
                                     "external_id": event.external_id or row["external_id"]})
        self._update(lambda e, r: {})(event, rows)

    @staticmethod
    def _call(event: Any, row: Row) -> Row:
        calls = dict(row["calls"])
        known = calls.get(event.call_sid, {})
        calls[event.call_sid] = {
            "status": event.status, "direction": event.direction or known.get("direction"),
            "answered": event.answered,
            "duration_seconds": event.duration_seconds if event.duration_seconds is not None
            else known.get("duration_seconds"),
            "recording_url": event.recording_url or known.get("recording_url"),
            "updated_at": event.timestamp.isoformat()}
        return {"calls": calls, "last_message_at": event.timestamp}

    @staticmethod
    def _contact_erased(event: Any, rows: ViewRows) -> None:
        rows.delete_where(TABLE, event.tenant_id, "contact_id", event.originator_id)
        rows.delete_where(MESSAGES, event.tenant_id, "contact_id", event.originator_id)
