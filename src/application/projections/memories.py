"""The memory index: what the tenant knows about each contact, embedded as it happens.

One memory per text-bearing event (notes on leads, contact outcomes, follow-up notes and
outcomes, lost and reopen reasons; conversation messages and call summaries join when the
conversations context lands), with its kind, the embedding model, and the event it came from.
The texts of a batch are embedded in one call (``prepare``). An erased contact's memories are
deleted. ``memory_leads`` remembers each lead's contact, so later lead events find it.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from application.projections.base import Event, Projection, RowKey, ViewRows
from domain.contacts import Contact
from domain.leads import Lead
from domain.ports import Embedder

TABLE, LEADS = "memories", "memory_leads"
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
}


def memory_id(event: Any) -> UUID:
    """Deterministic: the same event always makes the same memory (rebuilds, replays)."""
    source = f"frontdesk:memory:{event.originator_id}:{event.originator_version}"
    return uuid5(NAMESPACE_URL, source)


def memory_text(event: Any) -> str | None:
    source = SOURCES.get(type(event))
    if source is None:
        return None
    text = getattr(event, source[0], None)
    if not isinstance(text, str) or not text.strip() or text in ERASED_TEXTS:
        return None
    return text.strip()


class MemoryProjection(Projection):
    name = "memories"
    version = 1
    tables = (TABLE, LEADS)

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self.embedder = embedder
        self._vectors: dict[UUID, list[float]] = {}
        for event_class in SOURCES:
            self.on(event_class, self._remember, self._keys)
        self.on(Contact.ContactErased, self._forget, lambda e: [])

    @property
    def model(self) -> str:
        return self.embedder.model

    def prepare(self, events: list[Event]) -> None:
        texts = {memory_id(e): text for e in events if (text := memory_text(e)) is not None}
        ids = list(texts)
        self._vectors = dict(zip(ids, self.embedder.embed([texts[i] for i in ids]),
                                 strict=True))

    @staticmethod
    def _keys(event: Any) -> list[tuple[str, RowKey]]:
        keys: list[tuple[str, RowKey]] = [(LEADS, (event.tenant_id, event.originator_id))]
        if memory_text(event) is not None:
            keys.append((TABLE, (event.tenant_id, memory_id(event))))
        return keys

    def _remember(self, event: Any, rows: ViewRows) -> None:
        lead_key = (event.tenant_id, event.originator_id)
        if isinstance(event, Lead.LeadCaptured):
            rows.put(LEADS, lead_key, {"tenant_id": event.tenant_id, "lead_id": event.originator_id,
                                       "contact_id": event.contact_id})
            contact_id = event.contact_id
        else:
            lead = rows.get(LEADS, lead_key)
            if lead is None:  # the contact was erased: nothing to remember
                return
            contact_id = lead["contact_id"]
        text = memory_text(event)
        if text is None:
            return
        identity = memory_id(event)
        vector = self._vectors.get(identity) or self.embedder.embed([text])[0]
        rows.put(TABLE, (event.tenant_id, identity), {
            "tenant_id": event.tenant_id, "id": identity, "contact_id": contact_id,
            "kind": SOURCES[type(event)][1], "text": text,
            "source_aggregate_id": event.originator_id,
            "source_version": event.originator_version,
            "model": self.embedder.model, "embedding": vector,
            "occurred_at": event.timestamp})

    @staticmethod
    def _forget(event: Contact.ContactErased, rows: ViewRows) -> None:
        rows.delete_where(TABLE, event.tenant_id, "contact_id", event.originator_id)
        rows.delete_where(LEADS, event.tenant_id, "contact_id", event.originator_id)
