"""The Retriever port over the memory index (issue 6): knowledge-base passages by memory search
(similarity, entity boost; knowledge does not decay) and, for a conversation's contact, the
memories of that contact (similarity * decay + entity boost). Never another contact's."""

from __future__ import annotations

from uuid import UUID

from application.conversations.ports import Passage
from application.memories import MemorySearch, SearchRequest
from domain.knowledge import KnowledgeDocument


class MemoryRetriever:
    def __init__(self, search: MemorySearch, *, memories: int = 3,
                 min_score: float = 0.05) -> None:
        self._search, self._memories, self._min_score = search, memories, min_score

    def search(self, tenant_id: UUID, query: str, *, limit: int,
               contact_id: UUID | None = None) -> list[Passage]:
        requests = [SearchRequest("knowledge", None, limit)]
        if contact_id is not None and self._memories:
            requests.append(SearchRequest("contact", contact_id, self._memories))
        knowledge, *memories = self._search.search_many(tenant_id, query, requests)
        found = [Passage(ref=KnowledgeDocument.passage_ref(h.memory.source_aggregate_id,
                                                           h.memory.part),
                         title=h.memory.text.split(": ", 1)[0],
                         text=h.memory.text.split(": ", 1)[-1], score=h.score)
                 for h in knowledge.hits if h.score >= self._min_score]
        for result in memories:
            found += [Passage(ref=str(h.memory.id), title=f"{h.memory.kind}, "
                              f"{h.memory.occurred_at:%Y-%m-%d}", text=h.memory.text,
                              score=h.score, kind="memory")
                      for h in result.hits if h.score >= self._min_score]
        return found
