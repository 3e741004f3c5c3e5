"""Conversations: start, read, write (customer or agent), AI reply and AI draft (JSON or
Server-Sent Events), hand off, join, resolve, CSAT, NPS, and the event history."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from adapters.knowledge import RETRIEVAL_MODELS
from application.bus import CommandBus
from application.conversations.assistant import (
    DraftStarted,
    DraftStored,
    ReplyStarted,
    ReplyStored,
)
from application.conversations.commands import (
    HandOff,
    JoinConversation,
    PostMessage,
    RecordSurvey,
    ResolveConversation,
    StartConversation,
)
from application.conversations.ports import Delta, ModelUnavailable, Restart
from application.conversations.replies import FINISHED, Failure, ReplyRunner
from application.conversations.views import (
    ConversationFilters,
    ConversationQueries,
    ConversationView,
)
from application.ports import StoredResponse
from domain.shared import DomainError, NotFound
from entrypoints.http.commands import (
    POSITION_HEADER,
    context,
    execute,
    if_match,
    stored,
    wait_for_own_writes,
)
from entrypoints.http.conversations.schemas import (
    AiDraftOut,
    AiReplyOut,
    ConversationCreate,
    ConversationOut,
    ConversationPage,
    CsatIn,
    HandOffIn,
    MessageIn,
    NpsIn,
    ResolveIn,
)
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Provided, Reads, Req
from entrypoints.http.schemas import EventsOut
from entrypoints.http.security import ALL_ROLES, WRITERS, roles

Conversations = Provided[ConversationQueries]
Replies = Provided[ReplyRunner]


class ReplyTimedOut(Exception):
    """No word from the answer being generated within the runner's wait (HTTP 504); it is
    still stored when complete."""


READ_MODELS = ("conversations",)
IF_MATCH_NOTE = " Accepts `If-Match: <version>` and `Idempotency-Key`."
StatusFilter = Annotated[str | None, QueryParameter(
    pattern="^(open|ai_handling|waiting_for_agent|agent_handling|resolved)$",
    description="Conversation status")]
ChannelFilter = Annotated[str | None, QueryParameter(
    pattern="^(sms|whatsapp|voice|webchat|email)$", description="Channel")]
AI_REPLY_DESCRIPTION = """
Generates the assistant's answer from the tenant's persona and rules, the knowledge-base
passages that match the customer's latest words, the most relevant memories of this contact
(memory index: similarity * decay + entity boost; `FRONTDESK_RETRIEVER`), and the recent
messages that fit the token budget, along the provider chain (`FRONTDESK_LLM_CHAIN`). Send
`X-Frontdesk-Min-Position` to have the answer draw on knowledge or notes you just wrote.

* `Accept: text/event-stream`: Server-Sent Events as the answer is generated: `started`
  (`message_id`), `delta` (`text`), `restart` (a provider failed mid-answer; discard the text so
  far), then `done` (the stored answer, as in the JSON form) or `error` (a problem document).
* Otherwise JSON once the answer is stored.

The answer is generated and stored server-side whatever the client does: it is stored once,
complete, even if the client disconnects mid-stream. An answer below the tenant's confidence
threshold is withheld (kept with its provenance) and the conversation is handed to a person
(`delivered: false`). When every provider is down: 503 with `Retry-After`; nothing is stored and
the customer's message stays. 409 when the conversation is with a person or resolved.
"""
AI_DRAFT_DESCRIPTION = """
Drafts a reply for the person working the conversation (`waiting_for_agent` or
`agent_handling`): the same context and provider chain as `ai-reply`, but nothing is sent and
the conversation's status, messages and AI turns do not change. The draft is stored with its
provenance as the event `AiDraftSuggested` (its text is personal data of the contact) and its
tokens count in `GET /v1/analytics/ai-usage`. The agent edits the text and sends it with
`POST /v1/conversations/{id}/messages`; recording the draft moves the conversation's version
on, so send the `version` of the answer (also its `ETag`) in If-Match.

* `Accept: text/event-stream`: Server-Sent Events as the draft is written: `started`
  (`draft_id`), `delta` (`text`), `restart` (a provider failed mid-answer; discard the text so
  far), then `done` (the stored draft, as in the JSON form) or `error` (a problem document).
* Otherwise JSON once the draft is stored.

Like an answer, the draft is generated and stored server-side even if the client leaves
mid-stream. 409 when nobody works the conversation (`open`, `ai_handling`, `resolved`): the
model is not asked. When every provider is down: 503 with `Retry-After`; nothing is stored.
"""
Stored = ReplyStored | DraftStored
"""The last item of a reply's or a draft's queue when it was stored."""


def _view(status: int = 200) -> Any:
    def render(view: ConversationView) -> StoredResponse:
        headers = {"ETag": f'"{view.version}"'}
        if status == 201:
            headers["Location"] = f"/v1/conversations/{view.id}"
        return stored(status, ConversationOut.of(view), headers)
    return render


def _reply_out(item: ReplyStored) -> AiReplyOut:
    p = item.provenance
    return AiReplyOut(conversation_id=item.conversation.id, message_id=item.message_id,
                      text=item.text, delivered=item.delivered, status=item.conversation.status,
                      handoff_reason=item.conversation.handoff_reason, provider=p.provider,
                      model=p.model, tokens_in=p.tokens_in, tokens_out=p.tokens_out,
                      latency_ms=p.latency_ms, cost_micros=p.cost_micros,
                      confidence=p.confidence, passages=list(p.passages),
                      memory_ids=list(p.memory_ids), fallbacks=list(p.fallbacks))


def _draft_out(item: DraftStored) -> AiDraftOut:
    p = item.provenance
    return AiDraftOut(conversation_id=item.conversation_id, draft_id=item.draft_id,
                      text=item.text, version=item.version, provider=p.provider, model=p.model,
                      tokens_in=p.tokens_in, tokens_out=p.tokens_out, latency_ms=p.latency_ms,
                      cost_micros=p.cost_micros, confidence=p.confidence,
                      passages=list(p.passages), memory_ids=list(p.memory_ids),
                      fallbacks=list(p.fallbacks))


def _stored_out(item: Stored) -> AiReplyOut | AiDraftOut:
    """The JSON answer of a stored reply or draft (the SSE `done` event carries the same)."""
    return _reply_out(item) if isinstance(item, ReplyStored) else _draft_out(item)


def _sse(item: Any) -> ServerSentEventMessage:
    """One queue item of a reply or a draft as a Server-Sent Event."""
    if isinstance(item, ReplyStarted | DraftStarted):
        data: dict[str, Any] = {"conversation_id": str(item.conversation_id)}
        if isinstance(item, ReplyStarted):
            data["message_id"] = str(item.message_id)
        else:
            data["draft_id"] = str(item.draft_id)
        return ServerSentEventMessage(event="started", data=json.dumps(data))
    if isinstance(item, Delta):
        return ServerSentEventMessage(event="delta", data=json.dumps({"text": item.text}))
    if isinstance(item, Restart):
        return ServerSentEventMessage(event="restart", data=json.dumps(
            {"failed_provider": item.failed_provider}))
    if isinstance(item, Stored):
        return ServerSentEventMessage(event="done", data=_stored_out(item).model_dump_json())
    error = item.error if isinstance(item, Failure) else None
    if isinstance(error, ModelUnavailable):
        body: dict[str, Any] = {"status": 503, "type": "llm-unavailable", "detail": str(error)}
    elif isinstance(error, DomainError):
        body = {"status": 409, "type": error.code, "detail": error.message}
    else:
        body = {"status": 500, "type": "internal", "detail": "the answer could not be stored"}
    return ServerSentEventMessage(event="error", data=json.dumps(body))


def _answer(request: Req, items: queue.Queue[Any], timeout: float) -> Response[Any]:
    """Answer a reply's or a draft's queue (ADR 0022): wait for the first text or the outcome,
    so a refusal or an outage is a plain 409/503 in both forms; then stream the rest as SSE,
    or drain it and answer the stored outcome as JSON."""
    head: list[Any] = []
    try:
        while not head or not isinstance(head[-1], Delta | Stored):
            item = items.get(timeout=timeout)
            if item is FINISHED:
                break
            if isinstance(item, Failure):
                raise item.error
            head.append(item)
        if "text/event-stream" in request.headers.get("accept", ""):
            return ServerSentEvent(_stream(head, items, timeout))
        done = next((i for i in head if isinstance(i, Stored)), None)
        while done is None:
            item = items.get(timeout=timeout)
            if item is FINISHED:
                raise RuntimeError("the reply ended without being stored")
            if isinstance(item, Failure):
                raise item.error
            if isinstance(item, Stored):
                done = item
    except queue.Empty:
        raise ReplyTimedOut from None
    headers = {POSITION_HEADER: done.position}
    if isinstance(done, DraftStored):
        headers["ETag"] = f'"{done.version}"'
    return Response(_stored_out(done), headers=headers)


def _stream(head: list[Any], items: queue.Queue[Any],
            timeout: float) -> Iterator[ServerSentEventMessage]:
    yield from (_sse(item) for item in head)
    if head and isinstance(head[-1], Stored):
        return
    while True:
        try:
            item = items.get(timeout=timeout)
        except queue.Empty:
            yield ServerSentEventMessage(event="error", data=json.dumps(
                {"status": 504, "type": "llm-timeout"}))
            return
        if item is FINISHED:
            return
        yield _sse(item)
        if isinstance(item, Failure | Stored):
            return


class ConversationsController(Controller):
    path = "/v1/conversations"
    tags = ["conversations"]
    opt = roles(*WRITERS)

    @post("/", status_code=201, sync_to_thread=True, summary="Start a conversation",
          description="With an existing contact on a channel; the contact needs an address on "
                      "it (a phone for SMS/WhatsApp/voice, an email for email). One open "
                      "conversation per contact and channel: a second is a 409 "
                      "`conversation-open` with `existing_id`. Accepts `Idempotency-Key`.")
    def start(self, request: Req, data: JSONBody[ConversationCreate],
              bus: Bus) -> Response[ConversationOut]:
        command = StartConversation(data.contact_id, data.channel, data.subject)
        return execute(request, bus, command, _view(201),  # type: ignore[return-value]
                       body=data)

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List conversations",
         description="Newest first, cursor-paginated, filtered by status, channel, contact or "
                     "agent (messages are in `GET /v1/conversations/{id}`).")
    def page(self, request: Req, conversations: Conversations,
             reads: Reads, status: StatusFilter = None, channel: ChannelFilter = None,
             contact_id: FromQuery[UUID | None] = None, agent_id: FromQuery[UUID | None] = None,
             limit: Limit = 50, cursor: Cursor = None) -> Response[ConversationPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        filters = ConversationFilters(status=status, channel=channel, contact_id=contact_id,
                                      agent_id=agent_id)
        page = conversations.page(request.user.tenant_id, filters, limit=limit,
                                          cursor=cursor)
        return Response(ConversationPage(
            items=[ConversationOut.of(v, with_messages=False) for v in page.items],
            next_cursor=page.next_cursor), headers=headers)

    @get("/{conversation_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="Get a conversation with its messages",
         description="Messages in order, with delivery status and, for AI answers, their "
                     "provenance.")
    def get_one(self, request: Req, conversation_id: Id,
                conversations: Conversations, reads: Reads) -> Response[ConversationOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = conversations.get(request.user.tenant_id, conversation_id)
        if view is None:
            raise NotFound("conversation not found")
        return Response(ConversationOut.of(view), headers={**headers,
                                                           "ETag": f'"{view.version}"'})

    @get("/{conversation_id:uuid}/events", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="A conversation's event history",
         description="Every event, oldest first, from the event store.")
    def events(self, request: Req, conversation_id: Id, reads: Reads) -> EventsOut:
        entries = reads.history_of(request, conversation_id, "ConversationStarted",
                                   "conversation")
        return EventsOut.of(entries)

    # -- writes -------------------------------------------------------------------------------

    def _act(self, request: Req, bus: CommandBus, command: Any,
             data: Any) -> Response[ConversationOut]:
        return execute(request, bus, command, _view(),  # type: ignore[return-value]
                       body=data)

    @post("/{conversation_id:uuid}/messages", status_code=200, sync_to_thread=True,
          summary="Add a customer's or an agent's message",
          description="A customer message asking for a person (`agent`, `human`, or a tenant "
                      "keyword) hands the conversation off. An agent message joins the agent "
                      "and, on SMS, WhatsApp or email, is queued in the outbox (409 "
                      "`opted-out` if the contact said STOP)." + IF_MATCH_NOTE)
    def message(self, request: Req, conversation_id: Id,
                data: JSONBody[MessageIn], bus: Bus) -> Response[ConversationOut]:
        return self._act(request, bus, PostMessage(
            conversation_id, if_match(request), data.author, data.body, data.external_id), data)

    @post("/{conversation_id:uuid}/ai-reply", status_code=200, sync_to_thread=True,
          summary="Generate the AI assistant's answer (SSE or JSON)",
          description=AI_REPLY_DESCRIPTION)
    def ai_reply(self, request: Req, conversation_id: Id, replies: Replies,
                 reads: Reads) -> Response[Any]:
        # with X-Frontdesk-Min-Position, the answer draws on knowledge and memories that new
        wait_for_own_writes(request, reads.gate, RETRIEVAL_MODELS, reads.timeout)
        return _answer(request, replies.start(context(request), conversation_id),
                       replies.wait_seconds)

    @post("/{conversation_id:uuid}/ai-draft", status_code=200, sync_to_thread=True,
          summary="Draft a reply for the agent with AI (SSE or JSON)",
          description=AI_DRAFT_DESCRIPTION,
          responses={200: ResponseSpec(data_container=AiDraftOut, media_type="application/json",
                                       description="The stored draft (with `Accept: "
                                                   "text/event-stream`: Server-Sent Events "
                                                   "ending with it as `done`)")})
    def ai_draft(self, request: Req, conversation_id: Id, replies: Replies,
                 reads: Reads) -> Response[Any]:
        wait_for_own_writes(request, reads.gate, RETRIEVAL_MODELS, reads.timeout)
        return _answer(request, replies.start_draft(context(request), conversation_id),
                       replies.wait_seconds)

    @post("/{conversation_id:uuid}/handoff", status_code=200, sync_to_thread=True,
          summary="Hand the conversation to a person",
          description="From `open` or `ai_handling` (or from an agent back to the queue): the "
                      "conversation waits for an agent and the assistant stops answering."
                      + IF_MATCH_NOTE)
    def handoff(self, request: Req, conversation_id: Id,
                data: JSONBody[HandOffIn], bus: Bus) -> Response[ConversationOut]:
        return self._act(request, bus, HandOff(conversation_id, if_match(request), data.reason),
                         data)

    @post("/{conversation_id:uuid}/join", status_code=200, sync_to_thread=True,
          summary="Take the conversation (the calling agent joins)",
          description=IF_MATCH_NOTE)
    def join(self, request: Req, conversation_id: Id,
             bus: Bus) -> Response[ConversationOut]:
        return self._act(request, bus, JoinConversation(conversation_id, if_match(request)), None)

    @post("/{conversation_id:uuid}/resolve", status_code=200, sync_to_thread=True,
          summary="Resolve with a disposition code",
          description="Needs a standard disposition code or one of the tenant's. A later "
                      "message from the customer starts a new conversation."
                      + IF_MATCH_NOTE)
    def resolve(self, request: Req, conversation_id: Id,
                data: JSONBody[ResolveIn], bus: Bus) -> Response[ConversationOut]:
        return self._act(request, bus, ResolveConversation(
            conversation_id, if_match(request), data.disposition, data.note), data)

    @post("/{conversation_id:uuid}/csat", status_code=200, sync_to_thread=True,
          summary="Record customer satisfaction (1-5)",
          description="Once, after resolution." + IF_MATCH_NOTE)
    def csat(self, request: Req, conversation_id: Id,
             data: JSONBody[CsatIn], bus: Bus) -> Response[ConversationOut]:
        return self._act(request, bus, RecordSurvey(
            conversation_id, if_match(request), "csat", data.score, data.comment), data)

    @post("/{conversation_id:uuid}/nps", status_code=200, sync_to_thread=True,
          summary="Record a Net Promoter Score answer (0-10)",
          description="Once, after resolution." + IF_MATCH_NOTE)
    def nps(self, request: Req, conversation_id: Id,
            data: JSONBody[NpsIn], bus: Bus) -> Response[ConversationOut]:
        return self._act(request, bus, RecordSurvey(
            conversation_id, if_match(request), "nps", data.score, data.comment), data)
