"""The memory index: what the tenant knows, embedded the moment it is stored.

One memory per text-bearing event about a contact (notes on leads, contact outcomes, follow-up
notes and outcomes, lost and reopen reasons; conversation messages both ways, hand-off details,
resolution notes, survey comments; case closing notes, cancellation and refund reasons;
contact-center task titles and completion notes) and
one per knowledge-base passage (no contact: the tenant's own knowledge). Each row names its
kind, the embedding model, and the event it came from. The texts of a batch are embedded in
one call (``prepare``).

``memory_subjects`` remembers whose each lead, conversation, case or task is, so later events of it
find their contact. An erased contact's memories and subjects are deleted; a removed
knowledge document's passages too; so are the memories of messages whose bodies were deleted
(retention, ADR 0086).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from application.projections.base import Event, Projection, RowKey, ViewRows
from domain.cases import Case
from domain.contact_center import Task
from domain.contacts import Contact
from domain.conversations import Conversation
from domain.knowledge import KnowledgeDocument
from domain.leads import Lead
from domain.ports import Embedder

TABLE, SUBJECTS = "memories", "memory_subjects"
ERASED_TEXTS = frozenset({"[erased]", "[withheld]"})

# event class -> (attribute holding the text, memory kind)
SOURCES: dict[type, tuple[str, str]] = {
    Lead.LeadCaptured: ("notes", "note"),
    Lead.LeadContacted: ("note", "contact_note"),
    Lead.LeadQualified: ("note", "note"),
    Lead.FollowUpScheduled: ("note", "follow_up"),
    Lead.FollowUpCompleted: ("outcome", "follow_up_outcome"),
    Lead.LeadLost: ("reason", "lost_reason"),
    Lead.LeadReopened: ("reason", "note"),
    Conversation.MessageReceived: ("body", "message_in"),
    Conversation.MessageSent: ("body", "message_out"),
    Conversation.HandedOff: ("detail", "handoff_note"),
    Conversation.ConversationResolved: ("note", "resolution_note"),
    Conversation.CsatRecorded: ("comment", "feedback"),
    Conversation.NpsRecorded: ("comment", "feedback"),
    Case.CaseCompleted: ("note", "case_note"),
    Case.CaseCancelled: ("reason", "case_note"),
    Case.PaymentRefunded: ("reason", "refund_reason"),
    Task.TaskCreated: ("title", "task"),
    Task.TaskCompleted: ("note", "task_note"),
}
OPENERS: dict[type, Callable[[Any], UUID]] = {
    Lead.LeadCaptured: lambda e: e.contact_id,
    Conversation.ConversationStarted: lambda e: e.contact_id,
    Case.CaseOpened: lambda e: e.contact_id,
    Task.TaskCreated: lambda e: e.contact_id,  # None: a task about nobody in particular
}
KNOWLEDGE = "knowledge"


def memory_id(event: Any, part: int = 0) -> UUID:
    """Deterministic: the same event always makes the same memory (rebuilds, replays)."""
    suffix = f":{part}" if part else ""
    source = f"frontdesk:memory:{event.originator_id}:{event.originator_version}{suffix}"
    return uuid5(NAMESPACE_URL, source)


def _clean(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip() or text in ERASED_TEXTS:
        return None
    return text.strip()


def memory_text(event: Any) -> str | None:
    source = SOURCES.get(type(event))
    return None if source is None else _clean(getattr(event, source[0], None))


def memory_items(event: Any) -> list[tuple[UUID, str, int]]:
    """(memory id, text, part) of every memory this event makes."""
    if isinstance(event, KnowledgeDocument.KnowledgeDocumentAdded
                  | KnowledgeDocument.KnowledgeDocumentRevised):
        return [(memory_id(event, n), f"{event.title}: {text}", n)
                for n, passage in enumerate(event.passages, start=1)
                if (text := _clean(passage))]
    text = memory_text(event)
    return [] if text is None else [(memory_id(event), text, 0)]


class MemoryProjection(Projection):
    name = "memories"
    version = 4
    tables = (TABLE, SUBJECTS)

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self.embedder = embedder
        self._vectors: dict[UUID, list[float]] = {}
        for event_class in SOURCES.keys() | OPENERS.keys():
            self.on(event_class, self._remember, self._keys)
        self.on(KnowledgeDocument.KnowledgeDocumentAdded, self._learn, self._no_keys,
                uses_personal_data=False)
        self.on(KnowledgeDocument.KnowledgeDocumentRevised, self._relearn, self._no_keys,
                uses_personal_data=False)
        self.on(KnowledgeDocument.KnowledgeDocumentRemoved, self._unlearn, self._no_keys,
                uses_personal_data=False)
        self.on(Contact.ContactErased, self._forget, self._no_keys)
        self.on(Conversation.MessageBodiesDeleted, self._forget_messages,
                self._deleted_memories, uses_personal_data=False)

    @property
    def model(self) -> str:
        return self.embedder.model

    def prepare(self, events: list[Event]) -> None:
        texts = {identity: text for e in events for identity, text, _ in memory_items(e)}
        ids = list(texts)
        self._vectors = dict(zip(ids, self.embedder.embed([texts[i] for i in ids]),
                                 strict=True))

    def _vector(self, identity: UUID, text: str) -> list[float]:
        return self._vectors.get(identity) or self.embedder.embed([text])[0]

    @staticmethod
    def _no_keys(event: Any) -> list[tuple[str, RowKey]]:
        return []

    @staticmethod
    def _keys(event: Any) -> list[tuple[str, RowKey]]:
        keys: list[tuple[str, RowKey]] = [(SUBJECTS, (event.tenant_id, event.originator_id))]
        if memory_text(event) is not None:
            keys.append((TABLE, (event.tenant_id, memory_id(event))))
        return keys

    def _remember(self, event: Any, rows: ViewRows) -> None:
        subject_key = (event.tenant_id, event.originator_id)
        opener = OPENERS.get(type(event))
        if opener is not None:
            contact_id = opener(event)
            if contact_id is None:
                return
            rows.put(SUBJECTS, subject_key, {"tenant_id": event.tenant_id,
                                             "aggregate_id": event.originator_id,
                                             "contact_id": contact_id})
        else:
            subject = rows.get(SUBJECTS, subject_key)
            if subject is None:  # the contact was erased: nothing to remember
                return
            contact_id = subject["contact_id"]
        text = memory_text(event)
        if text is None:
            return
        identity = memory_id(event)
        rows.put(TABLE, (event.tenant_id, identity), self._row(
            event, identity, contact_id, SOURCES[type(event)][1], text))

    def _learn(self, event: KnowledgeDocument.KnowledgeDocumentAdded
               | KnowledgeDocument.KnowledgeDocumentRevised, rows: ViewRows) -> None:
        for identity, text, part in memory_items(event):
            rows.put(TABLE, (event.tenant_id, identity),
                     self._row(event, identity, None, KNOWLEDGE, text, part))

    def _relearn(self, event: KnowledgeDocument.KnowledgeDocumentRevised,
                 rows: ViewRows) -> None:
        self._unlearn(event, rows)
        self._learn(event, rows)

    @staticmethod
    def _unlearn(event: KnowledgeDocument.KnowledgeDocumentRemoved
                 | KnowledgeDocument.KnowledgeDocumentRevised, rows: ViewRows) -> None:
        rows.delete_where(TABLE, event.tenant_id, "source_aggregate_id", event.originator_id)

    def _row(self, event: Any, identity: UUID, contact_id: UUID | None, kind: str,
             text: str, part: int = 0) -> dict[str, Any]:
        return {"tenant_id": event.tenant_id, "id": identity, "contact_id": contact_id,
                "kind": kind, "text": text, "source_aggregate_id": event.originator_id,
                "source_version": event.originator_version, "part": part,
                "model": self.embedder.model,
                "embedding": self._vector(identity, text), "occurred_at": event.timestamp}

    @staticmethod
    def _deleted_memories(event: Any) -> list[tuple[str, RowKey]]:
        return [(TABLE, (event.tenant_id, uuid5(
            NAMESPACE_URL, f"frontdesk:memory:{event.originator_id}:{version}")))
            for version in event.message_versions]

    def _forget_messages(self, event: Any, rows: ViewRows) -> None:
        for _, key in self._deleted_memories(event):
            rows.delete(TABLE, key)

    @staticmethod
    def _forget(event: Contact.ContactErased, rows: ViewRows) -> None:
        rows.delete_where(TABLE, event.tenant_id, "contact_id", event.originator_id)
        rows.delete_where(SUBJECTS, event.tenant_id, "contact_id", event.originator_id)
