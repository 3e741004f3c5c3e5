"""Creating tasks: from a client (a call, a manual task) or from a source elsewhere in
Frontdesk (a lead follow-up, a conversation hand-off)."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.contact_center.commands import CreateTask, CreateTaskFromSource
from application.contact_center.dispatcher import ACTOR as DISPATCHER
from application.contact_center.ports import RoutingQueries
from application.contact_center.reservations import reserve_into
from application.contact_center.views import TaskView
from application.ports import CommandContext, UnitOfWork
from domain.contact_center import Channel, Queue, SourceKind, Task, TaskStatus, route
from domain.contact_center.task_values import source_claim
from domain.contact_center.values import parse_enum
from domain.contacts import Contact
from domain.conversations import Conversation
from domain.leads import Lead
from domain.shared import Conflict, InvalidValue, NotFound, RuleViolated
from domain.shared.ids import new_id


class DuplicateTask(Conflict):
    """A task for this source exists already (a retried call or hand-off)."""

    code = "duplicate-task"

    def __init__(self, existing_id: UUID) -> None:
        super().__init__("a task for this source exists already", existing_id=str(existing_id))
        self.existing_id = existing_id


def _stage_task(uow: UnitOfWork, ctx: CommandContext, *, queue: Queue,
                channel: str, priority: int, skills: dict[str, int], kind: SourceKind,
                ref: str | None, contact_id: UUID | None, lead_id: UUID | None,
                title: str | None, not_before: datetime | None) -> Task:
    lead_stage = None
    if lead_id is not None:
        try:
            lead = uow.get(Lead, lead_id)
        except NotFound:
            raise InvalidValue("lead_id", "no such lead") from None
        if contact_id is not None and contact_id != lead.contact_id:
            raise InvalidValue("contact_id", "is not the lead's contact")
        contact_id, lead_stage = lead.contact_id, lead.status.value
    elif contact_id is not None:
        try:
            uow.get(Contact, contact_id)
        except NotFound:
            raise InvalidValue("contact_id", "no such contact") from None
    if ref is not None:
        held = uow.owners_of([source_claim(kind, ref)])
        if held:
            raise DuplicateTask(next(iter(held.values())))
    task = Task.create(task_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor,
                       at=ctx.now, queue=queue.settings(),
                       channel=parse_enum(Channel, channel, "channel"), priority_value=priority,
                       skills=skills, source_kind=kind, source_ref=ref, contact_id=contact_id,
                       lead_id=lead_id, lead_stage=lead_stage, title=title,
                       not_before=not_before)
    uow.add(task)
    return task


class CreateTaskHandler:
    """Creates the task and, with ``route_on_arrival``, offers it at once in the same commit
    when routing gives it an agent now (TaskRouter assigns on creation too): no wait for the
    read model to show the task to the dispatcher. Routing sees the waiting line as the read
    model has it, so an older task keeps its turn; the write model has the last word on the
    agent, and if it says no the task simply waits for the dispatcher.

    The offer is made on the command's first (speculative) attempt only. When that commit
    loses the agent's slot to a concurrent one, the command runs again without it: the task
    is created and waits. (Offering again could lose again: tasks created together route to
    the same best agent from the same read model, and after the bus's last attempt the
    creation itself was refused with a 409.)"""

    def __init__(self, routing: RoutingQueries | None = None, *,
                 route_on_arrival: bool = False, per_queue: int = 500) -> None:
        self._routing = routing
        self._route, self._per_queue = route_on_arrival and routing is not None, per_queue

    def __call__(self, command: CreateTask, uow: UnitOfWork, ctx: CommandContext) -> TaskView:
        queue = uow.get(Queue, command.queue_id)
        kind = parse_enum(SourceKind, command.source_kind, "source_kind")
        task = _stage_task(uow, ctx, queue=queue, channel=command.channel,
                           priority=command.priority, skills=command.required_skills,
                           kind=kind, ref=command.source_ref, contact_id=command.contact_id,
                           lead_id=command.lead_id, title=command.title,
                           not_before=command.not_before)
        if self._route and uow.speculative and task.status is TaskStatus.QUEUED:
            self._offer(uow, task, ctx.now)
        return TaskView.of(task)

    def _offer(self, uow: UnitOfWork, task: Task, now: datetime) -> None:
        assert self._routing is not None
        snapshot = self._routing.snapshot(uow.tenant_id, per_queue=self._per_queue)
        line = [t for t in snapshot.tasks if t.id != task.id] + [task.as_waiting()]
        for assignment in route(line, snapshot.agents, snapshot.queues, now):
            if assignment.task_id == task.id:
                with suppress(RuleViolated):  # a stale snapshot: the dispatcher will route it
                    reserve_into(uow, task, assignment.agent_id, actor=DISPATCHER, at=now)
                return


class DefaultQueues(Protocol):
    def default_queue(self, tenant_id: UUID, kind: str) -> UUID | None:
        """The queue whose ``default_for`` names this source kind (read model)."""
        ...


class CreateTaskFromSourceHandler:
    """The queue is the one that receives this kind of source (``default_for``); without one
    the command is refused and nothing is created.

    The queue is found in the read model and confirmed on the Queue aggregate. (A claim look-up
    cannot find it: on a command's speculative first attempt unknown claims read as free, and
    a refusal writes nothing for the commit to verify.)"""

    def __init__(self, queues: DefaultQueues) -> None:
        self._queues = queues

    def __call__(self, command: CreateTaskFromSource, uow: UnitOfWork,
                 ctx: CommandContext) -> TaskView:
        kind = parse_enum(SourceKind, command.source_kind, "source_kind")
        queue_id = self._queues.default_queue(ctx.tenant_id, kind.value)
        queue = uow.get(Queue, queue_id) if queue_id is not None else None
        if queue is None or kind not in queue.default_for:
            raise NotFound(f"no queue receives {kind.value} tasks (set default_for on one)")
        channel, contact_id = command.channel, command.contact_id
        if command.conversation_id is not None:
            conversation = uow.get(Conversation, command.conversation_id)
            channel, contact_id = conversation.channel.value, conversation.contact_id
        task = _stage_task(uow, ctx, queue=queue, channel=channel,
                           priority=command.priority, skills={}, kind=kind,
                           ref=command.source_ref, contact_id=contact_id,
                           lead_id=command.lead_id, title=command.title,
                           not_before=command.not_before)
        return TaskView.of(task)
