"""Tasks: read, list, history, the pinned script; accept, reject, wrap up, complete with a
disposition, cancel, rate."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from application.bus import CommandBus, Handler
from application.contact_center.commands import (
    AcceptTask,
    CancelTask,
    CompleteTask,
    RecordTaskCsat,
    RejectTask,
    StartWrapUp,
)
from application.contact_center.views import TaskFilters, TaskView
from domain.shared import NotFound
from entrypoints.http.commands import execute, if_match, wait_for_own_writes
from entrypoints.http.contact_center_deps import ContactCenter, acting_agent
from entrypoints.http.contact_center_schemas import (
    CancelIn,
    CompleteIn,
    CsatIn,
    RejectIn,
    ScriptOut,
    TaskOut,
    TaskPage,
)
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Reads
from entrypoints.http.routes.queues import render_task
from entrypoints.http.schemas import EventOut, EventsOut
from entrypoints.http.security import ALL_ROLES, WRITERS, Principal, roles, roles_text

READ_MODELS = ("supervisor_overview",)
AS_AGENT = (" An agent acts on their own tasks only (409 otherwise); a supervisor or admin "
            "acts for the agent. Accepts `If-Match: <version>`.")
StatusFilter = Annotated[str | None, QueryParameter(
    pattern="^(created|queued|reserved|accepted|wrap_up|completed|canceled)$",
    description="Task status")]


class TasksController(Controller):
    path = "/v1/tasks"
    tags = ["contact center"]

    # -- reads ------------------------------------------------------------------------------

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List tasks",
         description="Newest first; `agent_id` lists what is offered to or handled by an "
                     "agent (an agent's inbox: `?agent_id=<me>&status=reserved`). "
                     + roles_text(ALL_ROLES))
    def page(self, request: Request[Principal, Any, Any], cc: ContactCenter, reads: Reads,
             status: StatusFilter = None, queue_id: FromQuery[UUID | None] = None,
             agent_id: FromQuery[UUID | None] = None,
             contact_id: FromQuery[UUID | None] = None, limit: Limit = 50,
             cursor: Cursor = None) -> Response[TaskPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        filters = TaskFilters(status=status, queue_id=queue_id, agent_id=agent_id,
                              contact_id=contact_id)
        page = cc.queries.tasks(request.user.tenant_id, filters, limit=limit, cursor=cursor)
        return Response(TaskPage(items=[TaskOut.of(t) for t in page.items],
                                 next_cursor=page.next_cursor), headers=headers)

    @get("/{task_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="Get a task",
         description=roles_text(ALL_ROLES))
    def get_one(self, request: Request[Principal, Any, Any], task_id: Id, cc: ContactCenter,
                reads: Reads) -> Response[TaskOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = cc.queries.task(request.user.tenant_id, task_id)
        if view is None:
            raise NotFound("task not found")
        return Response(TaskOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @get("/{task_id:uuid}/events", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="A task's event history",
         description="Every event of the task, oldest first, from the event store. "
                     + roles_text(ALL_ROLES))
    def events(self, request: Request[Principal, Any, Any], task_id: Id,
               reads: Reads) -> EventsOut:
        entries = reads.history.of(request.user.tenant_id, task_id)
        if not entries or entries[0].type != "TaskCreated":
            raise NotFound("task not found")
        return EventsOut(items=[EventOut.of(e) for e in entries])

    @get("/{task_id:uuid}/script", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="The script to follow for a task",
         description="The revision that was current when the task was reserved (for its lead "
                     "stage if it has one, else for its queue); 404 if none applied. "
                     + roles_text(ALL_ROLES))
    def script(self, request: Request[Principal, Any, Any], task_id: Id, cc: ContactCenter,
               reads: Reads) -> Response[ScriptOut]:
        headers = wait_for_own_writes(request, reads.gate,
                                      (*READ_MODELS, "contact_center_catalog"), reads.timeout)
        task = cc.queries.task(request.user.tenant_id, task_id)
        if task is None:
            raise NotFound("task not found")
        if task.script_id is None or task.script_revision is None:
            raise NotFound("no script applies to this task")
        script = cc.catalog.script(request.user.tenant_id, task.script_id, task.script_revision)
        if script is None:
            raise NotFound("no script applies to this task")
        return Response(ScriptOut.of(script), headers=headers)

    # -- actions ----------------------------------------------------------------------------

    def _act(self, request: Request[Principal, Any, Any], bus: CommandBus,
             handler: Handler[Any, TaskView], command: Any, data: Any) -> Response[TaskOut]:
        return execute(request, bus, handler, command, render_task(),  # type: ignore[return-value]
                       fingerprint_of=data.model_dump_json().encode() if data else b"")

    @post("/{task_id:uuid}/accept", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Accept a reserved task",
          description="Before the reservation expires (409 after: the task goes back to the "
                      "queue). The agent becomes busy. " + roles_text(WRITERS) + AS_AGENT)
    def accept(self, request: Request[Principal, Any, Any], task_id: Id, cc: ContactCenter,
               bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, cc.accept_task,
                         AcceptTask(task_id, if_match(request), acting_agent(request)), None)

    @post("/{task_id:uuid}/reject", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Reject a reserved task",
          description="The task goes back to the queue, in its place; it is not offered to "
                      "this agent again. " + roles_text(WRITERS) + AS_AGENT)
    def reject(self, request: Request[Principal, Any, Any], task_id: Id,
               data: JSONBody[RejectIn], cc: ContactCenter, bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, cc.reject_task, RejectTask(
            task_id, if_match(request), acting_agent(request), data.reason), data)

    @post("/{task_id:uuid}/wrap-up", status_code=200, sync_to_thread=True,
          opt=roles(*WRITERS), summary="Start wrap-up (after-call work)",
          description="The talk ends; wrap-up time counts in handle time. Optional: a task "
                      "may be completed straight from accepted. " + roles_text(WRITERS)
                      + AS_AGENT)
    def wrap_up(self, request: Request[Principal, Any, Any], task_id: Id, cc: ContactCenter,
                bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, cc.start_wrap_up,
                         StartWrapUp(task_id, if_match(request), acting_agent(request)), None)

    @post("/{task_id:uuid}/complete", status_code=200, sync_to_thread=True,
          opt=roles(*WRITERS), summary="Complete a task with a disposition",
          description="A disposition code is required: a standard one or the tenant's "
                      "(`GET /v1/dispositions`); an unknown code is a 422. "
                      + roles_text(WRITERS) + AS_AGENT)
    def complete(self, request: Request[Principal, Any, Any], task_id: Id,
                 data: JSONBody[CompleteIn], cc: ContactCenter, bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, cc.complete_task, CompleteTask(
            task_id, if_match(request), acting_agent(request), data.disposition, data.note),
            data)

    @post("/{task_id:uuid}/cancel", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Cancel a task",
          description="The caller hung up, or the work is withdrawn. A task canceled while "
                      "waiting counts as abandoned. " + roles_text(WRITERS)
                      + " Accepts `If-Match: <version>`.")
    def cancel(self, request: Request[Principal, Any, Any], task_id: Id,
               data: JSONBody[CancelIn], cc: ContactCenter, bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, cc.cancel_task,
                         CancelTask(task_id, if_match(request), data.reason), data)

    @post("/{task_id:uuid}/csat", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Record the customer's satisfaction (1-5)",
          description="Once, on a completed task; counts in its agent's CSAT average. "
                      + roles_text(WRITERS))
    def csat(self, request: Request[Principal, Any, Any], task_id: Id, data: JSONBody[CsatIn],
             cc: ContactCenter, bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, cc.record_task_csat,
                         RecordTaskCsat(task_id, data.score), data)
