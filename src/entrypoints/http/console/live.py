"""The console's live updates: one server-sent-events stream per open page. It follows the
tenant's log through the process's stream hub (ADR 0067); when events the viewer may see
arrive, it waits until the page's read models have them, renders the page's fragments again
and sends each one that changed (its event name is the fragment's ``sse-swap`` name), so htmx
swaps it in place (ADR 0069)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import anyio
from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import ServerSentEvent, ServerSentEventMessage

from adapters.streams.hub import StreamHub
from application.streams import StreamedEvent, Visibility
from entrypoints.http.console.pages import render
from entrypoints.http.console.wall import Page, WallReads
from entrypoints.http.console.workspace import WorkspaceReads
from entrypoints.http.deps import Provided, Reads, Req
from entrypoints.http.security import ALL_ROLES, CONSOLE, Principal, roles

Fragments = dict[str, tuple[str, dict[str, Any]]]
"""sse-swap name -> (template, values)."""


READ_MODELS = {"wall": ("supervisor_overview",),
               "agent": ("supervisor_overview", "conversations", "contacts", "memories")}


@dataclass(frozen=True)
class LiveViews:
    workspace: WorkspaceReads
    wall: WallReads
    hub: StreamHub
    heartbeat: float

    def fragments(self, who: Principal, view: str, conversation: UUID | None,
                  page: int = 1) -> Fragments:
        tenant = who.tenant_id
        if view == "wall":
            return {"wall": ("fragments/wall.html", self.wall.wall(tenant, page))}
        offer = self.workspace.offer(tenant, who.user_id)
        shown: Fragments = {
            "status": ("fragments/status.html", self.workspace.status(tenant, who.user_id)),
            "offer": ("fragments/offer.html", offer),
            "conversations": ("fragments/conversations.html",
                              {**self.workspace.lists(tenant, who.user_id),
                               "conversation": None if conversation is None
                               else _Current(conversation)})}
        if conversation is not None:
            thread = self.workspace.thread(tenant, conversation)
            shown["thread"] = ("fragments/thread_live.html", thread)
            shown["context"] = ("fragments/context.html", self.workspace.context(
                tenant, thread["conversation"], offer["offered"] + offer["working"]))
        return shown


@dataclass(frozen=True)
class _Current:
    """What the conversation list needs of the open conversation: its id."""

    id: UUID


class LiveController(Controller):
    path = f"{CONSOLE}/live"
    opt = roles(*ALL_ROLES)
    include_in_schema = False

    @get("/")
    async def live(self, request: Req, live: Provided[LiveViews], reads: Reads,
                   view: FromQuery[str] = "agent",
                   conversation: FromQuery[UUID | None] = None,
                   page_number: Page = 1) -> ServerSentEvent:
        who: Principal = request.user
        shown = "wall" if view == "wall" else "agent"

        visible = Visibility.of(who.user_id, who.roles)

        async def changes() -> AsyncIterator[ServerSentEventMessage]:
            follower = await live.hub.follow(who.tenant_id, None)
            sent: dict[str, str] = {}
            try:
                # The first fragments must show everything up to the follower's start, also
                # what the read models had not applied when the page rendered (ADR 0090).
                await anyio.to_thread.run_sync(reads.caught_up, follower.position.text(),
                                               READ_MODELS[shown])
                while True:
                    fragments = await anyio.to_thread.run_sync(
                        live.fragments, who, shown, conversation, page_number)
                    for name, (template, values) in fragments.items():
                        html = render(request, template, **values)
                        if sent.get(name) != html:
                            sent[name] = html
                            yield ServerSentEventMessage(event=name, data=html)
                    seen: list[StreamedEvent] = []
                    while not seen:
                        events = await follower.next(live.heartbeat)
                        if events is None:  # the hub stopped: the app is going down
                            return
                        if not events:
                            yield ServerSentEventMessage(comment="keep-alive")
                        seen = [e for e in events if visible.sees(e)]
                    await anyio.to_thread.run_sync(reads.caught_up, seen[-1].position,
                                                   READ_MODELS[shown])
            finally:
                follower.close()

        return ServerSentEvent(changes())
