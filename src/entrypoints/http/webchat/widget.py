"""The web chat widget (ADR 0084): a loader script for a tenant's website, the chat page it
frames, and the visitor's few actions. No staff credentials: the public widget key names the
tenant, the Origin header must be one of the key's allowed origins (or Frontdesk's own, the
framed page's, which only those origins may frame), and a visitor's token reaches one
conversation only. The visitor's actions are the API's own commands, through the bus. The
assistant's answer is shown to the visitor as it is written (ADR 0092), then as stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID

import anyio
from litestar import Controller, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template
from pydantic import BaseModel, Field

from adapters.streams.answers import AnswerSoFar, AnswerWatch, LiveAnswers
from adapters.streams.hub import StreamHub
from application.bus import CommandBus, Executed
from application.contacts.commands import RegisterContact
from application.conversations.assistant import (
    AiAssistant,
    ReplyEvent,
    ReplyStarted,
    ReplyStored,
)
from application.conversations.commands import (
    HandOff,
    PostMessage,
    RecordSurvey,
    StartConversation,
)
from application.conversations.ports import Delta, Restart
from application.conversations.replies import ReplyRunner
from application.conversations.views import ConversationQueries, ConversationView
from application.identity.widget import (
    VisitorGrant,
    VisitorTokens,
    WidgetKeyAdministration,
    WidgetKeyRecord,
)
from application.ports import CommandContext
from domain.conversations import AI_MAY_ANSWER
from domain.shared import Conflict, DomainError, NotFound
from entrypoints.http.commands import POSITION_HEADER
from entrypoints.http.deps import Bus, Provided, Reads, Req

STATIC = Path(__file__).parent / "static"
READ_MODELS = ("conversations",)
MAX_BODY = 8 * 1024
"""Bytes a visitor's form may have (the app's limit is for the API's uploads)."""


class OriginRefused(Exception):
    """HTTP 403: the request's Origin is not one the widget key allows; nothing is stored."""


class BadVisitorToken(Exception):
    """HTTP 403: the visitor's token is not valid for this widget key."""


@dataclass(frozen=True)
class Widget:
    keys: WidgetKeyAdministration
    tokens: VisitorTokens
    conversations: ConversationQueries
    assistant: AiAssistant
    replies: ReplyRunner
    hub: StreamHub
    answers: LiveAnswers
    public_url: str | None
    heartbeat: float

    def key(self, key: str) -> WidgetKeyRecord:
        record = self.keys.find(key)
        if record is None:
            raise NotFound("widget key not found or revoked")
        return record

    def own_origin(self, request: Req) -> str:
        if self.public_url:
            parts = urlsplit(self.public_url)
            return f"{parts.scheme}://{parts.netloc}"
        return f"{request.url.scheme}://{request.url.netloc}"

    def check_origin(self, request: Req, record: WidgetKeyRecord) -> None:
        """A write must come from a page of an allowed origin, or from the chat page that
        Frontdesk serves (which only allowed origins may frame)."""
        origin = request.headers.get("origin")
        if origin not in (*record.allowed_origins, self.own_origin(request)):
            raise OriginRefused(f"origin {str(origin)[:100]!r} is not allowed for this "
                                "widget key")

    def grant(self, record: WidgetKeyRecord, token: str) -> VisitorGrant:
        grant = self.tokens.verify(token)
        if (grant is None or grant.widget_key_id != record.id
                or grant.tenant_id != record.tenant_id):
            raise BadVisitorToken("the visitor token is not valid for this widget")
        return grant

    def thread(self, grant: VisitorGrant) -> ConversationView:
        view = self.conversations.get(grant.tenant_id, grant.conversation_id)
        if view is None:
            raise NotFound("conversation not found")
        return view


def _ctx(record: WidgetKeyRecord) -> CommandContext:
    return CommandContext(tenant_id=record.tenant_id, actor=f"widget:{record.id}")


def _run(bus: CommandBus, command: Any, ctx: CommandContext) -> Executed[Any]:
    done = bus.execute(command, ctx)
    assert isinstance(done, Executed)
    return done


def _answer_or_hand_off(widget: Widget, bus: CommandBus, ctx: CommandContext,
                        view: ConversationView, known_contact: bool) -> None:
    """The assistant answers a new visitor (in the background; the answer arrives over the
    live stream). A visitor who typed the email of a known contact is not who the assistant
    may assume (it draws on that contact's memories): a person takes the chat."""
    if view.status not in {s.value for s in AI_MAY_ANSWER}:
        return
    if known_contact:
        _run(bus, HandOff(view.id, None, "a returning visitor of the web chat widget (email "
                          "not verified)", "agent_request"), ctx)
        return
    widget.replies.run(_shown(widget.answers, ctx, view.id,
                              widget.assistant.reply_or_hand_off(ctx, view.id)))


def _shown(answers: LiveAnswers, ctx: CommandContext, conversation_id: UUID,
           reply: Iterator[ReplyEvent]) -> Iterator[ReplyEvent]:
    """The assistant's answer, each piece also shown on the visitor's live streams as it is
    written."""
    key = (ctx.tenant_id, conversation_id)
    started: UUID | None = None
    offset, stored = 0, False
    try:
        for item in reply:
            if isinstance(item, ReplyStarted):
                started = item.message_id if item.customer_preview else None
            elif isinstance(item, Delta) and started is not None:
                answers.publish(key, started, offset, item.text)
                offset += len(item.text)
            elif isinstance(item, Restart) and started is not None:
                answers.publish(key, started, 0, "")
                offset = 0
            elif isinstance(item, ReplyStored):
                stored = True
            yield item
    finally:
        if started is not None:
            answers.end(key, started, stored=stored)


def chat_page(request: Req, name: str, status: int, record: WidgetKeyRecord | None,
              **values: Any) -> Template:
    ancestors = " ".join(record.allowed_origins) if record is not None else "'none'"
    policy = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
              f"frame-ancestors {ancestors}")
    return Template(template_name=f"webchat/{name}", context=values, status_code=status,
                    headers={"content-security-policy": policy})


class StartIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    message: str = Field(min_length=1, max_length=2000)


class MessageIn(BaseModel):
    token: str = Field(min_length=1, max_length=2000)
    body: str = Field(min_length=1, max_length=2000)


class CsatIn(BaseModel):
    token: str = Field(min_length=1, max_length=2000)
    score: int = Field(ge=1, le=5)


Form = Body(media_type=RequestEncodingType.URL_ENCODED)
WidgetOf = Provided[Widget]


class WidgetController(Controller):
    path = "/widget"
    opt = {"public": True}
    include_in_schema = False

    @get("/v1.js", sync_to_thread=False)
    def loader(self) -> Response[bytes]:
        return Response((STATIC / "v1.js").read_bytes(), media_type="text/javascript",
                        headers={"cache-control": "public, max-age=3600"})

    @get("/static/widget.css", sync_to_thread=False)
    def stylesheet(self) -> Response[bytes]:
        return Response((STATIC / "widget.css").read_bytes(), media_type="text/css",
                        headers={"cache-control": "public, max-age=3600"})

    @get("/chat", sync_to_thread=True)
    def chat(self, request: Req, widget: WidgetOf, key: FromQuery[str]) -> Template:
        record = widget.keys.find(key)
        if record is None:
            return chat_page(request, "unknown.html", 404, None)
        return chat_page(request, "chat.html", 200, record, key=key)

    @post("/conversations", status_code=200, sync_to_thread=True,
          request_max_body_size=MAX_BODY)
    def start(self, request: Req, widget: WidgetOf, bus: Bus, reads: Reads,
              key: FromQuery[str],
              data: Annotated[StartIn, Form]) -> Template:
        record = widget.key(key)
        widget.check_origin(request, record)
        ctx = _ctx(record)
        known = False
        try:
            contact = _run(bus, RegisterContact(name=data.name, email=data.email, phone=None),
                           ctx).result.id
        except Conflict as taken:
            contact, known = UUID(taken.details["existing_id"]), True
        try:
            view = _run(bus, StartConversation(contact, "webchat", "Web chat"), ctx).result
        except Conflict as open_already:
            if "existing_id" not in open_already.details:
                raise
            raise Conflict("a web chat with this email is already open; an agent will answer "
                           "it") from None
        done = _run(bus, PostMessage(view.id, None, "customer", data.message), ctx)
        _answer_or_hand_off(widget, bus, ctx, done.result, known)
        token = widget.tokens.issue(VisitorGrant(record.tenant_id, record.id, view.id))
        reads.gate.wait_for(done.position, READ_MODELS, reads.timeout)
        return chat_page(request, "panel.html", 200, record, key=key, token=token,
                         conversation=widget.thread(VisitorGrant(record.tenant_id, record.id,
                                                                 view.id)))

    @post("/messages", status_code=200, sync_to_thread=True, request_max_body_size=MAX_BODY)
    def message(self, request: Req, widget: WidgetOf, bus: Bus, key: FromQuery[str],
                data: Annotated[MessageIn, Form]) -> Template:
        record = widget.key(key)
        widget.check_origin(request, record)
        grant = widget.grant(record, data.token)
        ctx = _ctx(record)
        done = _run(bus, PostMessage(grant.conversation_id, None, "customer", data.body), ctx)
        _answer_or_hand_off(widget, bus, ctx, done.result, known_contact=False)
        return chat_page(request, "composer.html", 200, record, key=key, token=data.token)

    @post("/csat", status_code=200, sync_to_thread=True, request_max_body_size=MAX_BODY)
    def csat(self, request: Req, widget: WidgetOf, bus: Bus, key: FromQuery[str],
             data: Annotated[CsatIn, Form]) -> Template:
        record = widget.key(key)
        widget.check_origin(request, record)
        grant = widget.grant(record, data.token)
        done = _run(bus, RecordSurvey(grant.conversation_id, None, "csat", data.score),
                    _ctx(record))
        page = chat_page(request, "thanks.html", 200, record, score=data.score)
        page.headers[POSITION_HEADER] = done.position
        return page

    @get("/live")
    async def live(self, request: Req, widget: WidgetOf, reads: Reads, key: FromQuery[str],
                   token: FromQuery[str]) -> ServerSentEvent:
        """The visitor's conversation, rendered again when one of its events arrives
        (``thread``), and the assistant's answer as it is written (``answer``, until the
        thread shows it stored)."""
        record = await anyio.to_thread.run_sync(widget.key, key)
        grant = widget.grant(record, token)
        engine = request.app.template_engine
        assert engine is not None
        thread, writing = (engine.get_template(f"webchat/{name}.html")
                           for name in ("thread", "answer"))

        async def changes() -> AsyncIterator[ServerSentEventMessage]:
            follower = await widget.hub.follow(grant.tenant_id, None)
            watch = widget.answers.watch(grant.tenant_id, grant.conversation_id)
            logged: asyncio.Future[Any] | None = None
            written: asyncio.Future[Any] | None = None
            try:
                # The follower sends what comes after its start; the first thread must show
                # everything up to it, also what the read model has not applied yet (the
                # assistant's answer, committed while the stream opened), or it would be
                # shown only with the next event, which may never come.
                await anyio.to_thread.run_sync(reads.caught_up, follower.position.text(),
                                               READ_MODELS)
                view = await anyio.to_thread.run_sync(widget.thread, grant)
                sent: str | None = None
                shown: AnswerSoFar | None = None  # what the bubble below the thread shows
                while True:
                    html = str(thread.render(conversation=view, key=key, token=token))
                    if html != sent:
                        sent = html
                        yield ServerSentEventMessage(event="thread", data=html)
                    wanted = _being_written(watch, view)
                    if wanted != shown:
                        shown = wanted
                        yield ServerSentEventMessage(event="answer", data=str(
                            writing.render(answer=wanted)) if wanted else "")
                    if logged is None:
                        logged = asyncio.ensure_future(follower.next(widget.heartbeat))
                    if written is None:
                        written = asyncio.ensure_future(watch.changed())
                    done, _ = await asyncio.wait((logged, written),
                                                 return_when=asyncio.FIRST_COMPLETED)
                    if written in done:
                        written = None
                    if logged not in done:
                        continue
                    events, logged = logged.result(), None
                    if events is None:
                        return
                    if not events:
                        yield ServerSentEventMessage(comment="keep-alive")
                    mine = [e for e in events if e.aggregate_id == grant.conversation_id]
                    if mine:
                        await anyio.to_thread.run_sync(reads.caught_up, mine[-1].position,
                                                       READ_MODELS)
                        view = await anyio.to_thread.run_sync(widget.thread, grant)
            finally:
                for pending in (logged, written):
                    if pending is not None:
                        pending.cancel()
                follower.close()
                watch.close()

        return ServerSentEvent(changes())


def _being_written(watch: AnswerWatch, view: ConversationView) -> AnswerSoFar | None:
    """The answer to show as being written: one with text that the thread does not show
    stored yet."""
    latest = watch.latest
    if latest is None or not latest.text.strip():
        return None
    if any(m.id == latest.message_id for m in view.messages):
        return None
    return latest


__all__ = ["BadVisitorToken", "DomainError", "OriginRefused", "Widget", "WidgetController"]
