"""Queues: create, list, read, change; and tasks created in a queue."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, patch, post
from litestar.params import JSONBody

from application.contact_center.commands import (
    ChangeQueue,
    CreateQueue,
    CreateTask,
    QueueFields,
)
from application.contact_center.views import QueueView, TaskView
from application.ports import StoredResponse
from domain.shared import NotFound
from entrypoints.http.commands import execute, if_match, stored, wait_for_own_writes
from entrypoints.http.contact_center.deps import Center
from entrypoints.http.contact_center.schemas import (
    QueueCreate,
    QueueOut,
    QueuePage,
    QueuePatch,
    TaskCreate,
    TaskOut,
)
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Reads, Req
from entrypoints.http.security import (
    ALL_ROLES,
    SUPERVISORS,
    WRITERS,
    roles,
)

READ_MODELS = ("supervisor_overview",)


def _queue(status: int = 200) -> Any:
    def render(view: QueueView) -> StoredResponse:
        return stored(status, QueueOut.of(view), {"ETag": f'"{view.version}"',
                                                  "Location": f"/v1/queues/{view.id}"})
    return render


def render_task(status: int = 200) -> Any:
    def render(view: TaskView) -> StoredResponse:
        return stored(status, TaskOut.of(view), {"ETag": f'"{view.version}"',
                                                 "Location": f"/v1/tasks/{view.id}"})
    return render


class QueuesController(Controller):
    path = "/v1/queues"
    tags = ["contact center"]
    opt = roles(*SUPERVISORS)

    @post("/", status_code=201, sync_to_thread=True, summary="Create a queue",
          description="Required skills, the routing strategy (`longest_idle`, `round_robin`, "
                      "`priority`) and the SLA: answer `target_percentage` % of tasks within "
                      "`target_answer_seconds`; a task waiting `max_hold_seconds` breaches and "
                      "is escalated to `escalation_queue_id`. Names are unique (409). "
                      "Accepts `Idempotency-Key`.")
    def create(self, request: Req, data: JSONBody[QueueCreate],
               bus: Bus) -> Response[QueueOut]:
        fields = QueueFields(**data.model_dump())
        return execute(request, bus, CreateQueue(fields), _queue(201),  # type: ignore[return-value]
                       body=data)

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List queues")
    def page(self, request: Req, center: Center, reads: Reads,
             limit: Limit = 50, cursor: Cursor = None) -> Response[QueuePage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        page = center.queues(request.user.tenant_id, limit=limit, cursor=cursor)
        return Response(QueuePage(items=[QueueOut.of(q) for q in page.items],
                                  next_cursor=page.next_cursor), headers=headers)

    @get("/{queue_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="Get a queue")
    def get_one(self, request: Req, queue_id: Id, center: Center,
                reads: Reads) -> Response[QueueOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = center.queue(request.user.tenant_id, queue_id)
        if view is None:
            raise NotFound("queue not found")
        return Response(QueueOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @patch("/{queue_id:uuid}", sync_to_thread=True, summary="Change a queue",
           description="Send only what changes. Tasks already waiting keep the SLA they "
                       "entered with. " + " Accepts `If-Match: <version>`.")
    def change(self, request: Req, queue_id: Id,
               data: JSONBody[QueuePatch], bus: Bus) -> Response[QueueOut]:
        changes = data.model_dump(exclude_unset=True)
        return execute(request, bus, # type: ignore[return-value]
                       ChangeQueue(queue_id, if_match(request), changes), _queue(),
                       body=data.model_dump_json(exclude_unset=True).encode())

    @post("/{queue_id:uuid}/tasks", status_code=201, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Create a task in a queue",
          description="An inbound call, a hand-off, a callback: the task waits in the queue "
                      "(from `not_before`, if given) until the dispatcher reserves it for an "
                      "agent; poll `GET /v1/tasks/{id}` or list `GET /v1/tasks?agent_id=` to "
                      "see the offer. A `source` already used is a 409 `duplicate-task` with "
                      "`existing_id`. Accepts `Idempotency-Key`.")
    def create_task(self, request: Req, queue_id: Id,
                    data: JSONBody[TaskCreate], bus: Bus
                    ) -> Response[TaskOut]:
        command = CreateTask(queue_id=queue_id, channel=data.channel, priority=data.priority,
                             required_skills=data.required_skills, contact_id=data.contact_id,
                             lead_id=data.lead_id, title=data.title,
                             source_kind=data.source.kind if data.source else "manual",
                             source_ref=data.source.id if data.source else None,
                             not_before=data.not_before)
        return execute(request, bus, command, render_task(201),  # type: ignore[return-value]
                       body=data)
