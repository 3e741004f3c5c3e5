"""Knowledge and memory: the assistant's knowledge base, and what is remembered about a contact."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import JSONBody, QueryParameter

from adapters.knowledge import RETRIEVAL_MODELS
from adapters.readmodels.conversations import SqlConversationQueries
from application.contacts import ContactQueries
from application.conversations.ports import Retriever
from application.knowledge import AddKnowledge, KnowledgeAdded
from application.memories import MemorySearch
from application.ports import StoredResponse
from domain.shared import NotFound
from entrypoints.http.commands import execute, stored, wait_for_own_writes
from entrypoints.http.deps import Bus, Id, Limit, Provided, Reads, Req
from entrypoints.http.knowledge.schemas import (
    EntityOut,
    KnowledgeDocumentOut,
    KnowledgeIn,
    KnowledgeOut,
    MemoryHitOut,
    MemorySearchOut,
    PassageOut,
)
from entrypoints.http.security import ALL_ROLES, SUPERVISORS, WRITERS, roles

Documents = Provided[SqlConversationQueries]
Passages = Provided[Retriever]
Contacts = Provided[ContactQueries]
Memories = Provided[MemorySearch]
QueryText = Annotated[str, QueryParameter(name="query", min_length=1, max_length=500,
                                          description="What to look for, in plain words")]
Query = Annotated[str, QueryParameter(min_length=1, max_length=500,
                                      description="The words to search for")]


def _added(result: KnowledgeAdded) -> StoredResponse:
    return stored(201, KnowledgeOut(id=result.id, title=result.title, source=result.source,
                                    passages=len(result.passages), version=result.version),
                  {"Location": f"/v1/knowledge/{result.id}"})




class KnowledgeController(Controller):
    path = "/v1/knowledge"
    tags = ["assistant"]
    opt = roles(*ALL_ROLES)

    @post("/", status_code=201, sync_to_thread=True, opt=roles(*SUPERVISORS),
          summary="Add a knowledge-base document",
          description="The text is split into passages (paragraphs, then sentences, up to 700 "
                      "characters each); the assistant retrieves them by the customer's words. "
                      "Accepts `Idempotency-Key`.")
    def add(self, request: Req, data: JSONBody[KnowledgeIn],
            bus: Bus) -> Response[KnowledgeOut]:
        return execute(request, bus, # type: ignore[return-value]
                       AddKnowledge(data.title, data.text, data.source), _added,
                       body=data)

    @get("/", sync_to_thread=True, summary="List documents")
    def documents(self, request: Req, documents: Documents,
                  reads: Reads, limit: Limit = 50) -> Response[list[KnowledgeDocumentOut]]:
        headers = wait_for_own_writes(request, reads.gate, ("knowledge_passages",),
                                      reads.timeout)
        rows = documents.documents(request.user.tenant_id, limit=limit)
        return Response([KnowledgeDocumentOut(id=r["document_id"], title=r["title"],
                                              source=r["source"], passages=r["passages"],
                                              created_at=r["created_at"]) for r in rows],
                        headers=headers)

    @get("/search", sync_to_thread=True, summary="Search the knowledge base as the assistant does",
         description="The passages the assistant would be given for these words, best first.")
    def search(self, request: Req, passages: Passages, reads: Reads,
               q: Query, limit: Limit = 4) -> Response[list[PassageOut]]:
        headers = wait_for_own_writes(request, reads.gate, RETRIEVAL_MODELS, reads.timeout)
        found = passages.search(request.user.tenant_id, q, limit=limit)
        return Response([PassageOut(ref=p.ref, title=p.title, text=p.text, score=p.score)
                         for p in found], headers=headers)


class MemoriesController(Controller):
    path = "/v1/contacts"
    tags = ["contacts"]
    opt = roles(*WRITERS)

    @get("/{contact_id:uuid}/memories", sync_to_thread=True,
         summary="Search what is remembered about a contact",
         description="Ranks the contact's memories by `similarity * decay + entity_boost` and "
                     "returns each hit with its score parts: cosine similarity to the query, "
                     "temporal decay (half-life `FRONTDESK_MEMORY_HALF_LIFE_DAYS`), and a boost "
                     "for each email, phone number, date, amount or name of the query that the "
                     "memory also contains.")
    def memories(self, request: Req, contact_id: Id,
                 contacts: Contacts, memories: Memories, reads: Reads,
                 text: QueryText,
                 limit: Annotated[int, QueryParameter(ge=1, le=50)] = 10,
                 ) -> Response[MemorySearchOut]:
        headers = wait_for_own_writes(request, reads.gate, ("contacts", "memories"), reads.timeout)
        if contacts.get(request.user.tenant_id, contact_id) is None:
            raise NotFound("contact not found")
        result = memories.search(request.user.tenant_id, text, contact_id=contact_id,
                                          limit=limit)
        return Response(MemorySearchOut(
            query=text, model=result.model, latency_ms=round(result.latency_ms, 2),
            entities=[EntityOut(kind=e.kind, value=e.value)  # type: ignore[arg-type]
                      for e in result.entities],
            items=[MemoryHitOut(
                id=h.memory.id, kind=h.memory.kind, text=h.memory.text,
                occurred_at=h.memory.occurred_at,
                source={"aggregate_id": str(h.memory.source_aggregate_id),
                        "version": h.memory.source_version},
                score=round(h.score, 6), similarity=round(h.similarity, 6),
                decay=round(h.decay, 6), age_days=round(h.age_days, 3),
                entity_boost=round(h.entity_boost, 6),
                entities_matched=[EntityOut(kind=e.kind, value=e.value)  # type: ignore[arg-type]
                                  for e in h.entities_matched])
                for h in result.hits]), headers=headers)
