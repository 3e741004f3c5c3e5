"""Clock-driven task changes: a scheduled task becomes due; a task held past its queue's
maximum breaches the SLA and is escalated."""

from __future__ import annotations

from application.contact_center.commands import EnqueueDueTask, EscalateTask
from application.ports import CommandContext, UnitOfWork
from domain.contact_center import Queue, QueueSettings, Task
from domain.shared import NotFound


def escalate_task(command: EscalateTask, uow: UnitOfWork, ctx: CommandContext) -> bool:
    """Idempotent: a task answered meanwhile, or already breached in this queue, is left."""
    task = uow.get(Task, command.task_id)
    target: QueueSettings | None = None
    if task.escalation_queue_id is not None:
        try:
            target = uow.get(Queue, task.escalation_queue_id).settings()
        except NotFound:
            target = None
    if task.breach(actor=ctx.actor, at=ctx.now, escalate_to=target):
        uow.add(task)
        return True
    return False


def enqueue_due_task(command: EnqueueDueTask, uow: UnitOfWork, ctx: CommandContext) -> bool:
    task = uow.get(Task, command.task_id)
    queue = uow.get(Queue, task.queue_id)
    if task.enqueue_if_due(actor=ctx.actor, at=ctx.now, queue=queue.settings()):
        uow.add(task)
        return True
    return False

