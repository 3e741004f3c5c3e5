"""Knowledge and memory: the assistant's knowledge base, and what is remembered about a contact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, JSONBody, QueryParameter

from adapters.knowledge import RETRIEVAL_MODELS
from adapters.knowledge.files import MAX_UPLOAD_BYTES, read_document
from adapters.readmodels.conversations import SqlConversationQueries
from application.contacts import ContactQueries
from application.conversations.ports import Retriever
from application.knowledge import (
    AddKnowledge,
    KnowledgeAdded,
    KnowledgeRemoved,
    RemoveKnowledge,
    ReviseKnowledge,
)
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
    KnowledgeRemovedOut,
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


def _revised(result: KnowledgeAdded) -> StoredResponse:
    return stored(200, KnowledgeOut(id=result.id, title=result.title, source=result.source,
                                    passages=len(result.passages), version=result.version))


def _removed(result: KnowledgeRemoved) -> StoredResponse:
    return stored(200, KnowledgeRemovedOut(id=result.id, removed=True, version=result.version,
                                           already_removed=result.already))


@dataclass
class KnowledgeFile:
    """A document as a file: PDF, Markdown or plain text (UTF-8)."""

    file: UploadFile
    title: str | None = None
    """The document's title; the file's name when absent."""


UPLOAD_SLACK = 64 * 1024
"""Room for the multipart envelope and the title beside the largest file taken."""
FileForm = Annotated[KnowledgeFile, Body(media_type=RequestEncodingType.MULTI_PART)]
MD_EXAMPLE = "# Opening hours\n\nWe are open Monday to Friday, 9:00 to 18:00.\n"
FILE_PROBLEMS = {
    413: ResponseSpec(None, description=f"`too-large`: the file is over {MAX_UPLOAD_BYTES} "
                                        "bytes. Nothing is stored."),
    415: ResponseSpec(None, description="`unsupported-media-type`: by its bytes the file is "
                                        "not a PDF, Markdown or UTF-8 text, or its name says "
                                        "otherwise (a PDF named `.md`). Nothing is stored."),
    422: ResponseSpec(None, description="`unreadable-file`: empty, damaged, protected by a "
                                        "password, or with no text (a scanned PDF); "
                                        "`invalid-value`: the text is over 200,000 characters "
                                        "or 1,000 passages. Nothing is stored.")}


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

    @post("/files", status_code=201, sync_to_thread=True, opt=roles(*SUPERVISORS),
          request_max_body_size=MAX_UPLOAD_BYTES + UPLOAD_SLACK,
          summary="Upload a knowledge-base document (PDF, Markdown or text)",
          description="`multipart/form-data` with `file` (and an optional `title`; the file's "
                      "name otherwise). What the file is comes from its bytes (`%PDF-`, or "
                      "UTF-8 text without binary data) and its name must agree (`.pdf`, "
                      "`.md`, `.markdown`, `.txt`). A PDF's text is extracted page by page; "
                      "the text is then split into passages as `POST /v1/knowledge` splits "
                      "it. Accepts `Idempotency-Key`.",
          responses={201: ResponseSpec(KnowledgeOut, description="Stored and split",
                                       examples=[Example(summary="A Markdown file", value={
                                           "id": "3f1c9a4e-6b9d-4c0e-9a57-0d8c1b2e4f60",
                                           "title": "Opening hours", "source": "hours.md",
                                           "passages": 2, "version": 1})]),
                     **FILE_PROBLEMS})
    def upload(self, request: Req, data: FileForm, bus: Bus) -> Response[KnowledgeOut]:
        name = data.file.filename or None
        content = data.file.file.read(MAX_UPLOAD_BYTES + 1)
        document = read_document(name, content)
        title = (data.title or "").strip() or (name or "Untitled document")
        return execute(request, bus,  # type: ignore[return-value]
                       AddKnowledge(title, document.text, name), _added,
                       body=title.encode() + b"\n" + content)

    @put("/{document_id:uuid}", sync_to_thread=True, opt=roles(*SUPERVISORS),
         summary="Revise a knowledge-base document",
         description="Replaces the title, text and source: the text is split again and the "
                     "old passages are no longer retrieved. A missing or another tenant's "
                     "document is a 404 `not-found`; a removed one is a 409 `rule-violated`. "
                     "Accepts `Idempotency-Key`.")
    def revise(self, request: Req, document_id: Id, data: JSONBody[KnowledgeIn],
               bus: Bus) -> Response[KnowledgeOut]:
        return execute(request, bus,  # type: ignore[return-value]
                       ReviseKnowledge(document_id, data.title, data.text, data.source),
                       _revised, body=data)

    @delete("/{document_id:uuid}", status_code=200, sync_to_thread=True,
            opt=roles(*SUPERVISORS), summary="Remove a knowledge-base document",
            description="Its passages are no longer retrieved for the assistant, searched, "
                        "or listed, once the read models have the removal (send the answer's "
                        "`X-Frontdesk-Position` as `X-Frontdesk-Min-Position` to wait for it). "
                        "The events stay. Idempotent: removing a removed document answers "
                        "200 again with `already_removed: true` and records nothing.",
            responses={
                200: ResponseSpec(KnowledgeRemovedOut, description="Removed (now or before)",
                                  examples=[Example(summary="Removed now", value={
                                      "id": "3f1c9a4e-6b9d-4c0e-9a57-0d8c1b2e4f60",
                                      "removed": True, "version": 2,
                                      "already_removed": False}),
                                      Example(summary="A retry", value={
                                          "id": "3f1c9a4e-6b9d-4c0e-9a57-0d8c1b2e4f60",
                                          "removed": True, "version": 2,
                                          "already_removed": True})]),
                403: ResponseSpec(None, description="`forbidden`: the caller is not an "
                                                    "admin or a supervisor"),
                404: ResponseSpec(None, description="`not-found`: no such document in this "
                                                    "tenant (another tenant's is the same)")})
    def remove(self, request: Req, document_id: Id, bus: Bus) -> Response[KnowledgeRemovedOut]:
        return execute(request, bus,  # type: ignore[return-value]
                       RemoveKnowledge(document_id), _removed, body=None)

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
