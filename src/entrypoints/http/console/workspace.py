"""The agent workspace: my status, the task offered to me, my conversations and their thread,
reply, join, hand off and resolve, the contact's card with recent memories, the task's script.

Pages and fragments read the same query services as the API and run the same commands
through the bus; nothing here decides what is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from uuid import UUID

from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Template

from application.bus import CommandBus
from application.contact_center.commands import (
    AcceptTask,
    ChangeAgentStatus,
    CompleteTask,
    RejectTask,
)
from application.contact_center.views import (
    CatalogQueries,
    ContactCenterQueries,
    TaskFilters,
    TaskView,
)
from application.contacts import ContactQueries, ContactView
from application.contacts.export import ContactMemories
from application.conversations.commands import (
    HandOff,
    JoinConversation,
    PostMessage,
    ResolveConversation,
)
from application.conversations.views import (
    ConversationFilters,
    ConversationQueries,
    ConversationView,
)
from application.ports import Page
from domain.shared import NotFound
from entrypoints.http.commands import context
from entrypoints.http.console.pages import PAGE_ERRORS, attempt, page
from entrypoints.http.deps import Bus, Id, Provided, Reads, ReadSide, Req
from entrypoints.http.security import CONSOLE, WRITERS, roles

Center = Provided[ContactCenterQueries]
Catalog = Provided[CatalogQueries]
Conversations = Provided[ConversationQueries]
Contacts = Provided[ContactQueries]
Remembered = Provided[ContactMemories]
LIST = 20
TASK_MODELS = ("supervisor_overview",)
CONVERSATION_MODELS = ("conversations",)
RECENT_MEMORIES = 5


@dataclass
class StatusForm:
    status: str


@dataclass
class ReplyForm:
    body: str


@dataclass
class DispositionForm:
    disposition: str


T = TypeVar("T")
Form = Annotated[T, Body(media_type=RequestEncodingType.URL_ENCODED)]


@dataclass(frozen=True)
class WorkspaceReads:
    """The workspace's queries, as one value the fragments are rendered from."""

    center: ContactCenterQueries
    catalog: CatalogQueries
    conversations: ConversationQueries
    contacts: ContactQueries
    memories: ContactMemories

    def status(self, tenant_id: UUID, me: UUID) -> dict[str, Any]:
        return {"agent": self.center.agent(tenant_id, me)}

    def offer(self, tenant_id: UUID, me: UUID) -> dict[str, Any]:
        mine = self.center.tasks(tenant_id, TaskFilters(agent_id=me), limit=LIST,
                                 cursor=None).items
        return {"offered": [t for t in mine if t.status == "reserved" and t.reserved_for == me],
                "working": [t for t in mine if t.status in ("accepted", "wrap_up")
                            and t.agent_id == me],
                "dispositions": self.catalog.dispositions(tenant_id)}

    def lists(self, tenant_id: UUID, me: UUID, mine: str | None = None,
              waiting: str | None = None) -> dict[str, Any]:
        own = self.conversations.page(tenant_id, ConversationFilters(
            status="agent_handling", agent_id=me), limit=LIST, cursor=mine)
        queue = self.conversations.page(tenant_id, ConversationFilters(
            status="waiting_for_agent"), limit=LIST, cursor=waiting)
        return {"mine": own, "waiting": queue, "names": self._names(tenant_id, own, queue)}

    def thread(self, tenant_id: UUID, conversation_id: UUID | None) -> dict[str, Any]:
        if conversation_id is None:
            return {"conversation": None, "names": {}}
        found = self.conversations.get(tenant_id, conversation_id)
        if found is None:
            raise NotFound("conversation not found")
        contact = self.contacts.get(tenant_id, found.contact_id)
        return {"conversation": found, "dispositions": self.catalog.dispositions(tenant_id),
                "names": {found.contact_id: _label(contact)}}

    def context(self, tenant_id: UUID, conversation: ConversationView | None,
                tasks: list[TaskView]) -> dict[str, Any]:
        if conversation is None:
            return {"contact": None, "memories": [], "script": None}
        contact = self.contacts.get(tenant_id, conversation.contact_id)
        recent = sorted(self.memories.of_contact(tenant_id, conversation.contact_id),
                        key=lambda m: m["occurred_at"], reverse=True)[:RECENT_MEMORIES]
        task = next((t for t in tasks if t.script_id is not None and (
            t.conversation_id == conversation.id or t.contact_id == conversation.contact_id)),
            None)
        script = None if task is None else self.catalog.script(
            tenant_id, task.script_id, task.script_revision)  # type: ignore[arg-type]
        return {"contact": contact, "memories": recent, "script": script}

    def _names(self, tenant_id: UUID, *pages: Page[ConversationView]) -> dict[UUID, str | None]:
        ids = {c.contact_id for p in pages for c in p.items}
        return {i: _label(self.contacts.get(tenant_id, i)) for i in ids}


def _label(contact: ContactView | None) -> str | None:
    """How a person is named in lists: their name, else how they reach us."""
    return None if contact is None else contact.name or contact.phone or contact.email


Workspace = Provided[WorkspaceReads]


class WorkspaceController(Controller):
    path = f"{CONSOLE}/agent"
    opt = roles(*WRITERS)
    include_in_schema = False
    exception_handlers = PAGE_ERRORS

    @get("/", sync_to_thread=True)
    def workspace(self, request: Req, workspace: Workspace,
                  conversation: FromQuery[UUID | None] = None,
                  mine: FromQuery[str | None] = None,
                  waiting: FromQuery[str | None] = None) -> Template:
        tenant, me = request.user.tenant_id, request.user.user_id
        offer = workspace.offer(tenant, me)
        thread = workspace.thread(tenant, conversation)
        lists = workspace.lists(tenant, me, mine, waiting)
        values = {**workspace.status(tenant, me), **offer, **lists, **thread,
                  "names": {**lists["names"], **thread["names"]}}
        return page("agent.html", request, section="agent", **values,
                    **workspace.context(tenant, thread["conversation"],
                                        offer["offered"] + offer["working"]))

    # -- my status ----------------------------------------------------------------------------

    @post("/status", sync_to_thread=True, status_code=200)
    def change_status(self, request: Req, data: Form[StatusForm], workspace: Workspace,
                      bus: Bus, reads: Reads) -> Template:
        me = request.user.user_id
        done = attempt(bus, ChangeAgentStatus(me, None, data.status), context(request), reads,
                       TASK_MODELS)
        return page("fragments/status.html", request, error=done.error,
                    **workspace.status(request.user.tenant_id, me))

    # -- tasks ---------------------------------------------------------------------------------

    def _task(self, request: Req, workspace: Workspace, bus: CommandBus, reads: ReadSide,
              command: Any) -> Template:
        done = attempt(bus, command, context(request), reads, TASK_MODELS)
        return page("fragments/offer.html", request, error=done.error,
                    **workspace.offer(request.user.tenant_id, request.user.user_id))

    @post("/tasks/{task_id:uuid}/accept", sync_to_thread=True, status_code=200)
    def accept(self, request: Req, task_id: Id, workspace: Workspace, bus: Bus,
               reads: Reads) -> Template:
        return self._task(request, workspace, bus, reads,
                          AcceptTask(task_id, None, as_agent=request.user.user_id))

    @post("/tasks/{task_id:uuid}/reject", sync_to_thread=True, status_code=200)
    def reject(self, request: Req, task_id: Id, workspace: Workspace, bus: Bus,
               reads: Reads) -> Template:
        return self._task(request, workspace, bus, reads,
                          RejectTask(task_id, None, as_agent=request.user.user_id))

    @post("/tasks/{task_id:uuid}/complete", sync_to_thread=True, status_code=200)
    def complete(self, request: Req, task_id: Id, data: Form[DispositionForm],
                 workspace: Workspace, bus: Bus,
               reads: Reads) -> Template:
        return self._task(request, workspace, bus, reads, CompleteTask(
            task_id, None, as_agent=request.user.user_id, disposition=data.disposition))

    # -- conversations -------------------------------------------------------------------------

    def _thread(self, request: Req, workspace: Workspace, bus: CommandBus, reads: ReadSide,
                conversation_id: UUID, command: Any) -> Template:
        done = attempt(bus, command, context(request), reads, CONVERSATION_MODELS)
        return page("fragments/thread.html", request, error=done.error,
                    **workspace.thread(request.user.tenant_id, conversation_id))

    @post("/conversations/{conversation_id:uuid}/reply", sync_to_thread=True, status_code=200)
    def reply(self, request: Req, conversation_id: Id, data: Form[ReplyForm],
              workspace: Workspace, bus: Bus,
               reads: Reads) -> Template:
        return self._thread(request, workspace, bus, reads, conversation_id,
                            PostMessage(conversation_id, None, "agent", data.body))

    @post("/conversations/{conversation_id:uuid}/join", sync_to_thread=True, status_code=200)
    def join(self, request: Req, conversation_id: Id, workspace: Workspace,
             bus: Bus, reads: Reads) -> Template:
        return self._thread(request, workspace, bus, reads, conversation_id,
                            JoinConversation(conversation_id, None))

    @post("/conversations/{conversation_id:uuid}/handoff", sync_to_thread=True,
          status_code=200)
    def hand_off(self, request: Req, conversation_id: Id, workspace: Workspace,
                 bus: Bus, reads: Reads) -> Template:
        return self._thread(request, workspace, bus, reads, conversation_id,
                            HandOff(conversation_id, None, "handed off from the console"))

    @post("/conversations/{conversation_id:uuid}/resolve", sync_to_thread=True,
          status_code=200)
    def resolve(self, request: Req, conversation_id: Id, data: Form[DispositionForm],
                workspace: Workspace, bus: Bus,
               reads: Reads) -> Template:
        return self._thread(request, workspace, bus, reads, conversation_id,
                            ResolveConversation(conversation_id, None, data.disposition))
