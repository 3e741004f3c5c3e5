"""The knowledge_passages read model: one row per passage, searched by the lexical retriever."""

from __future__ import annotations

from typing import Any

from application.projections.base import Projection, RowKey, ViewRows
from domain.knowledge import KnowledgeDocument

TABLE = "knowledge_passages"
K = KnowledgeDocument


def _passages(event: Any) -> list[tuple[str, RowKey]]:
    return [(TABLE, (event.tenant_id, event.originator_id, n))
            for n in range(1, len(event.passages) + 1)]


class KnowledgeProjection(Projection):
    name = "knowledge_passages"
    version = 1
    tables = (TABLE,)

    def __init__(self) -> None:
        super().__init__()
        self.on(K.KnowledgeDocumentAdded, self._added, _passages)
        self.on(K.KnowledgeDocumentRevised, self._revised, _passages)
        self.on(K.KnowledgeDocumentRemoved, self._removed, lambda e: [])

    @staticmethod
    def _added(event: Any, rows: ViewRows) -> None:
        for sequence, text in enumerate(event.passages, start=1):
            rows.put(TABLE, (event.tenant_id, event.originator_id, sequence), {
                "tenant_id": event.tenant_id, "document_id": event.originator_id,
                "sequence": sequence, "title": event.title, "source": event.source,
                "text": text, "created_at": event.timestamp})

    @classmethod
    def _revised(cls, event: Any, rows: ViewRows) -> None:
        """The old passages go (however many there were), the new ones come."""
        cls._removed(event, rows)
        cls._added(event, rows)

    @staticmethod
    def _removed(event: Any, rows: ViewRows) -> None:
        rows.delete_where(TABLE, event.tenant_id, "document_id", event.originator_id)
