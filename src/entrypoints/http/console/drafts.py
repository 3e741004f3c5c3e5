"""'Draft with AI' in the agent's workspace: the assistant's suggestion streams into the draft
box as it is written, and when it is stored (``AiDraftSuggested``, ADR 0021) it fills the
reply box for the agent to edit and send. Nothing is sent to the customer.

The stream is a GET (EventSource can only GET). It is safe from other sites as every console
request is: the session cookie is SameSite=Strict, so no other site's page carries it."""

from __future__ import annotations

import queue
from collections.abc import AsyncIterator
from typing import Any

import anyio
from litestar import Controller, get, post
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template
from markupsafe import escape

from application.conversations.assistant import DraftStored
from application.conversations.ports import Delta, ModelUnavailable, Restart
from application.conversations.replies import FINISHED, Failure, ReplyRunner
from domain.shared import DomainError
from entrypoints.http.commands import context
from entrypoints.http.console.pages import PAGE_ERRORS, page, render
from entrypoints.http.deps import Id, Provided, Req
from entrypoints.http.security import CONSOLE, WRITERS, roles

Replies = Provided[ReplyRunner]


class DraftsController(Controller):
    path = f"{CONSOLE}/agent/conversations"
    opt = roles(*WRITERS)
    include_in_schema = False
    exception_handlers = PAGE_ERRORS

    @post("/{conversation_id:uuid}/draft", sync_to_thread=False, status_code=200)
    def box(self, request: Req, conversation_id: Id) -> Template:
        """The draft box, which opens the stream that writes the draft."""
        return page("fragments/draft.html", request, conversation_id=conversation_id)

    @get("/{conversation_id:uuid}/draft")
    async def stream(self, request: Req, conversation_id: Id,
                     replies: Replies) -> ServerSentEvent:
        items = replies.start_draft(context(request), conversation_id)

        async def written() -> AsyncIterator[ServerSentEventMessage]:
            while True:
                try:
                    item = await anyio.to_thread.run_sync(items.get, True, replies.wait_seconds)
                except queue.Empty:
                    yield _done(request, error="The assistant is taking too long; try again.")
                    return
                if item is FINISHED:
                    return
                if isinstance(item, Delta):
                    yield ServerSentEventMessage(event="delta", data=_escaped(item.text))
                elif isinstance(item, Restart):
                    yield ServerSentEventMessage(event="restart", data="")
                elif isinstance(item, DraftStored):
                    yield _done(request, draft=item)
                elif isinstance(item, Failure):
                    yield _done(request, error=_reason(item.error))
                    return

        return ServerSentEvent(written())


def _escaped(text: str) -> str:
    return str(escape(text))


def _reason(error: BaseException) -> str:
    if isinstance(error, ModelUnavailable):
        return "No language model is available right now; try again later."
    if isinstance(error, DomainError):
        return error.message
    return "The draft could not be written."


def _done(request: Req, **values: Any) -> ServerSentEventMessage:
    return ServerSentEventMessage(event="done", data=render(request, "fragments/drafted.html",
                                                            **values))
