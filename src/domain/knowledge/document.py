"""A knowledge-base document: what a tenant tells its assistant (prices, hours, procedures).

The document is stored once, already split into passages, so every reader (the lexical index
today, the memory index of issue 6 later) sees the same passages with the same references.
Knowledge is the tenant's, not a person's: nothing here is personal data.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.knowledge.chunking import chunk_text
from domain.shared.aggregate import TenantAggregate
from domain.shared.errors import InvalidValue, RuleViolated
from domain.shared.values import bounded_text

MAX_TEXT = 200_000
MAX_PASSAGES = 1_000


class KnowledgeDocument(TenantAggregate):
    class KnowledgeDocumentAdded(TenantAggregate.Created):
        title: str
        source: str | None
        passages: list[str]

    class KnowledgeDocumentRevised(TenantAggregate.Event):
        title: str
        source: str | None
        passages: list[str]

    class KnowledgeDocumentRemoved(TenantAggregate.Event):
        reason: str | None

    @classmethod
    def add(cls, *, document_id: UUID, tenant_id: UUID, actor: str, at: datetime, title: str,
            text: str, source: str | None, max_chars: int = 700) -> KnowledgeDocument:
        name, passages = _title(title), _passages(text, max_chars)
        return cls._create(cls.KnowledgeDocumentAdded, id=document_id, tenant_id=tenant_id,
                           actor=actor, timestamp=at, title=name,
                           source=bounded_text("source", source, limit=500), passages=passages)

    def __init__(self, *, tenant_id: UUID, title: str, source: str | None,
                 passages: list[str]) -> None:
        self.tenant_id = tenant_id
        self.title = title
        self.source = source
        self.passages = list(passages)
        self.removed = False

    def revise(self, *, actor: str, at: datetime, title: str, text: str, source: str | None,
               max_chars: int = 700) -> None:
        """Replaces the title and text: the text is split again, the old passages go."""
        if self.removed:
            raise RuleViolated("a removed document cannot be revised")
        self._revised(actor=actor, timestamp=at, title=_title(title),
                      source=bounded_text("source", source, limit=500),
                      passages=_passages(text, max_chars))

    @event(KnowledgeDocumentRevised)
    def _revised(self, actor: str, timestamp: datetime, title: str, source: str | None,
                 passages: list[str]) -> None:
        self.title, self.source, self.passages = title, source, list(passages)

    def remove(self, *, actor: str, at: datetime, reason: str | None) -> None:
        if self.removed:
            raise RuleViolated("the document is already removed")
        self._removed(actor=actor, timestamp=at,
                      reason=bounded_text("reason", reason, limit=500))

    @event(KnowledgeDocumentRemoved)
    def _removed(self, actor: str, timestamp: datetime, reason: str | None) -> None:
        self.removed = True

    @staticmethod
    def passage_ref(document_id: UUID, sequence: int) -> str:
        """How an answer names the passage it used: ``<document id>#<1-based sequence>``."""
        return f"{document_id}#{sequence}"


def _title(title: str) -> str:
    name = bounded_text("title", title, limit=300)
    if not name:
        raise InvalidValue("title", "a document needs a title")
    return name


def _passages(text: str, max_chars: int) -> list[str]:
    """A document's text as passages: not too long, no NUL, not empty, not too many."""
    if len(text) > MAX_TEXT:
        raise InvalidValue("text", f"must be at most {MAX_TEXT} characters")
    if "\x00" in text:
        raise InvalidValue("text", "must not contain NUL characters")
    passages = chunk_text(text, max_chars=max_chars)
    if not passages:
        raise InvalidValue("text", "a document needs text")
    if len(passages) > MAX_PASSAGES:
        raise InvalidValue("text", f"splits into more than {MAX_PASSAGES} passages")
    return passages
