"""Tasks: read, list, history, the pinned script; accept, reject, wrap up, complete with a
disposition, cancel, rate."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from application.bus import CommandBus
from application.contact_center.commands import (
    AcceptTask,
    CancelTask,
    CompleteTask,
    RecordTaskCsat,
    RejectTask,
    StartWrapUp,
)
from application.contact_center.views import TaskFilters
from domain.shared import NotFound
from entrypoints.http.commands import execute, if_match, wait_for_own_writes
from entrypoints.http.contact_center.deps import Catalog, Center
from entrypoints.http.contact_center.queues import render_task
from entrypoints.http.contact_center.schemas import (
    RejectIn,
    ScriptOut,
    TaskCancelIn,
    TaskCompleteIn,
    TaskCsatIn,
    TaskOut,
    TaskPage,
)
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Reads, Req
from entrypoints.http.schemas import EventsOut
from entrypoints.http.security import ALL_ROLES, WRITERS, acting_agent, roles

READ_MODELS = ("supervisor_overview",)
AS_AGENT = (" An agent acts on their own tasks only (409 otherwise); a supervisor or admin "
            "acts for the agent. Accepts `If-Match: <version>`.")
StatusFilter = Annotated[str | None, QueryParameter(
    pattern="^(created|queued|reserved|accepted|wrap_up|completed|canceled)$",
    description="Task status")]


class TasksController(Controller):
    path = "/v1/tasks"
    tags = ["contact center"]
    opt = roles(*WRITERS)

    # -- reads ------------------------------------------------------------------------------

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List tasks",
         description="Newest first; `agent_id` lists what is offered to or handled by an "
                     "agent (an agent's inbox: `?agent_id=<me>&status=reserved`).")
    def page(self, request: Req, center: Center, reads: Reads,
             status: StatusFilter = None, queue_id: FromQuery[UUID | None] = None,
             agent_id: FromQuery[UUID | None] = None,
             contact_id: FromQuery[UUID | None] = None, limit: Limit = 50,
             cursor: Cursor = None) -> Response[TaskPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        filters = TaskFilters(status=status, queue_id=queue_id, agent_id=agent_id,
                              contact_id=contact_id)
        page = center.tasks(request.user.tenant_id, filters, limit=limit, cursor=cursor)
        return Response(TaskPage(items=[TaskOut.of(t) for t in page.items],
                                 next_cursor=page.next_cursor), headers=headers)

    @get("/{task_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="Get a task")
    def get_one(self, request: Req, task_id: Id, center: Center,
                reads: Reads) -> Response[TaskOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = center.task(request.user.tenant_id, task_id)
        if view is None:
            raise NotFound("task not found")
        return Response(TaskOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @get("/{task_id:uuid}/events", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="A task's event history",
         description="Every event of the task, oldest first, from the event store.")
    def events(self, request: Req, task_id: Id, reads: Reads) -> EventsOut:
        entries = reads.history_of(request, task_id, "TaskCreated", "task")
        return EventsOut.of(entries)

    @get("/{task_id:uuid}/script", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="The script to follow for a task",
         description="The revision that was current when the task was reserved (for its lead "
                     "stage if it has one, else for its queue); 404 if none applied.")
    def script(self, request: Req, task_id: Id, center: Center, catalog: Catalog,
               reads: Reads) -> Response[ScriptOut]:
        headers = wait_for_own_writes(request, reads.gate,
                                      (*READ_MODELS, "contact_center_catalog"), reads.timeout)
        task = center.task(request.user.tenant_id, task_id)
        if task is None:
            raise NotFound("task not found")
        if task.script_id is None or task.script_revision is None:
            raise NotFound("no script applies to this task")
        script = catalog.script(request.user.tenant_id, task.script_id, task.script_revision)
        if script is None:
            raise NotFound("no script applies to this task")
        return Response(ScriptOut.of(script), headers=headers)

    # -- actions ----------------------------------------------------------------------------

    def _act(self, request: Req, bus: CommandBus, command: Any, data: Any) -> Response[TaskOut]:
        return execute(request, bus, command, render_task(),  # type: ignore[return-value]
                       body=data)

    @post("/{task_id:uuid}/accept", status_code=200, sync_to_thread=True,
          summary="Accept a reserved task",
          description="Before the reservation expires (409 after: the task goes back to the "
                      "queue). The agent becomes busy. " + AS_AGENT)
    def accept(self, request: Req, task_id: Id, bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, AcceptTask(task_id, if_match(request),
                                                  acting_agent(request)), None)

    @post("/{task_id:uuid}/reject", status_code=200, sync_to_thread=True,
          summary="Reject a reserved task",
          description="The task goes back to the queue, in its place; it is not offered to "
                      "this agent again. " + AS_AGENT)
    def reject(self, request: Req, task_id: Id,
               data: JSONBody[RejectIn], bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, RejectTask(
            task_id, if_match(request), acting_agent(request), data.reason), data)

    @post("/{task_id:uuid}/wrap-up", status_code=200, sync_to_thread=True,
          summary="Start wrap-up (after-call work)",
          description="The talk ends; wrap-up time counts in handle time. Optional: a task "
                      "may be completed straight from accepted. " + AS_AGENT)
    def wrap_up(self, request: Req, task_id: Id, bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, StartWrapUp(task_id, if_match(request),
                                                   acting_agent(request)), None)

    @post("/{task_id:uuid}/complete", status_code=200, sync_to_thread=True,
          summary="Complete a task with a disposition",
          description="A disposition code is required: a standard one or the tenant's "
                      "(`GET /v1/dispositions`); an unknown code is a 422. "
                      + AS_AGENT)
    def complete(self, request: Req, task_id: Id,
                 data: JSONBody[TaskCompleteIn], bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, CompleteTask(
            task_id, if_match(request), acting_agent(request), data.disposition, data.note),
            data)

    @post("/{task_id:uuid}/cancel", status_code=200, sync_to_thread=True, summary="Cancel a task",
          description="The caller hung up, or the work is withdrawn. A task canceled while "
                      "waiting counts as abandoned. " + " Accepts `If-Match: <version>`.")
    def cancel(self, request: Req, task_id: Id,
               data: JSONBody[TaskCancelIn], bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, CancelTask(task_id, if_match(request), data.reason), data)

    @post("/{task_id:uuid}/csat", status_code=200, sync_to_thread=True,
          summary="Record the customer's satisfaction (1-5)",
          description="Once, on a completed task; counts in its agent's CSAT average.")
    def csat(self, request: Req, task_id: Id, data: JSONBody[TaskCsatIn],
             bus: Bus) -> Response[TaskOut]:
        return self._act(request, bus, RecordTaskCsat(task_id, data.score), data)
