"""Lexical retrieval (the Retriever port) with PostgreSQL full-text search: the question's
content words OR-ed into a tsquery, ranked by ts_rank_cd over an expression GIN index. The memory
index of issue 6 (pgvector) implements the same port; the context builder does not change."""

from __future__ import annotations

from uuid import UUID

from adapters.knowledge.sql import SEARCH
from adapters.readmodels.engine import ReadModelReader
from application.conversations.context import terms
from application.conversations.ports import Passage
from domain.knowledge import KnowledgeDocument


class LexicalRetriever:
    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def search(self, tenant_id: UUID, query: str, *, limit: int) -> list[Passage]:
        words = sorted(terms(query))[:32]
        if not words:
            return []
        rows = self._reader.fetch(tenant_id, SEARCH, {
            "tenant": tenant_id, "query": " | ".join(words), "limit": limit})
        return [Passage(ref=KnowledgeDocument.passage_ref(r["document_id"], r["sequence"]),
                        title=r["title"], text=r["text"], score=float(r["score"]))
                for r in rows]
