"""The assistant's knowledge base and settings, and AI usage."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, QueryParameter

from application.knowledge import AddKnowledge, KnowledgeAdded
from application.ports import StoredResponse
from entrypoints.http.commands import execute, stored, wait_for_own_writes
from entrypoints.http.conversation_deps import Assistant, Conversations
from entrypoints.http.conversation_schemas import (
    AiUsageOut,
    AiUsagePage,
    AssistantSettingsIn,
    KnowledgeDocumentOut,
    KnowledgeIn,
    KnowledgeOut,
    PassageOut,
)
from entrypoints.http.deps import Bus, Limit, Reads
from entrypoints.http.security import (
    ALL_ROLES,
    SUPERVISORS,
    Principal,
    roles,
    roles_text,
)

ANALYSTS = frozenset({"admin", "supervisor", "analyst"})
Since = Annotated[date | None, QueryParameter(name="from",
                                              description="First UTC day, e.g. 2026-03-01")]
Until = Annotated[date | None, QueryParameter(name="to",
                                              description="Last UTC day, e.g. 2026-03-31")]
Query = Annotated[str, QueryParameter(min_length=1, max_length=500,
                                      description="The words to search for")]


def _added(result: KnowledgeAdded) -> StoredResponse:
    return stored(201, KnowledgeOut(id=result.id, title=result.title, source=result.source,
                                    passages=len(result.passages), version=result.version),
                  {"Location": f"/v1/knowledge/{result.id}"})


RETRIEVAL_MODELS = ("knowledge_passages", "memories")  # what either retriever reads


class KnowledgeController(Controller):
    path = "/v1/knowledge"
    tags = ["assistant"]

    @post("/", status_code=201, sync_to_thread=True, opt=roles(*SUPERVISORS),
          summary="Add a knowledge-base document",
          description="The text is split into passages (paragraphs, then sentences, up to 700 "
                      "characters each); the assistant retrieves them by the customer's words. "
                      "Accepts `Idempotency-Key`. " + roles_text(SUPERVISORS))
    def add(self, request: Request[Principal, Any, Any], data: JSONBody[KnowledgeIn],
            assistant: Assistant, bus: Bus) -> Response[KnowledgeOut]:
        return execute(request, bus, assistant.add_knowledge,  # type: ignore[return-value]
                       AddKnowledge(data.title, data.text, data.source), _added,
                       fingerprint_of=data.model_dump_json().encode())

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List documents",
         description=roles_text(ALL_ROLES))
    def documents(self, request: Request[Principal, Any, Any], assistant: Assistant,
                  reads: Reads, limit: Limit = 50) -> Response[list[KnowledgeDocumentOut]]:
        headers = wait_for_own_writes(request, reads.gate, ("knowledge_passages",),
                                      reads.timeout)
        rows = assistant.queries.documents(request.user.tenant_id, limit=limit)
        return Response([KnowledgeDocumentOut(id=r["document_id"], title=r["title"],
                                              source=r["source"], passages=r["passages"],
                                              created_at=r["created_at"]) for r in rows],
                        headers=headers)

    @get("/search", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="Search the knowledge base as the assistant does",
         description="The passages the assistant would be given for these words, best first. "
                     + roles_text(ALL_ROLES))
    def search(self, request: Request[Principal, Any, Any], assistant: Assistant, reads: Reads,
               q: Query, limit: Limit = 4) -> Response[list[PassageOut]]:
        headers = wait_for_own_writes(request, reads.gate, RETRIEVAL_MODELS, reads.timeout)
        found = assistant.retriever.search(request.user.tenant_id, q, limit=limit)
        return Response([PassageOut(ref=p.ref, title=p.title, text=p.text, score=p.score)
                         for p in found], headers=headers)


class AssistantController(Controller):
    path = "/v1/assistant"
    tags = ["assistant"]

    @get("/settings", sync_to_thread=True, opt=roles(*SUPERVISORS),
         summary="The assistant's settings", description=roles_text(SUPERVISORS))
    def settings(self, request: Request[Principal, Any, Any],
                 assistant: Assistant) -> AssistantSettingsIn:
        return AssistantSettingsIn(**assistant.settings.raw(request.user.tenant_id))

    @put("/settings", sync_to_thread=True, opt=roles("admin"),
         summary="Replace the assistant's settings",
         description="Persona and rules (in every prompt), hand-off keywords (beside `agent`, "
                     "`human`, `person`, `representative`, `operator`), hand-off after "
                     "`max_ai_turns` answers in a row or below `min_confidence`, the context "
                     "budget, sender numbers per channel and the tenant's disposition codes. "
                     + roles_text(("admin",)))
    def replace(self, request: Request[Principal, Any, Any],
                data: JSONBody[AssistantSettingsIn],
                assistant: Assistant) -> AssistantSettingsIn:
        raw = data.model_dump(exclude_none=True)
        assistant.settings.save(request.user.tenant_id, raw)
        return AssistantSettingsIn(**raw)


class AiUsageController(Controller):
    path = "/v1/analytics"
    tags = ["assistant"]

    @get("/ai-usage", sync_to_thread=True, opt=roles(*ANALYSTS),
         summary="Tokens and estimated cost per provider per day",
         description="From the `ai_usage` projection of every AI answer (withheld drafts "
                     "included). `from` and `to` are inclusive UTC days. "
                     + roles_text(ANALYSTS))
    def ai_usage(self, request: Request[Principal, Any, Any], conversations: Conversations,
                 reads: Reads, since: Since = None, until: Until = None
                 ) -> Response[AiUsagePage]:
        headers = wait_for_own_writes(request, reads.gate, ("ai_usage",), reads.timeout)
        rows = conversations.queries.ai_usage(
            request.user.tenant_id, since=since.isoformat() if since else None,
            until=until.isoformat() if until else None)
        return Response(AiUsagePage(items=[AiUsageOut.of(r) for r in rows]), headers=headers)
