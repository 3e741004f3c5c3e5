"""Working a task: accept, reject, wrap up, complete with a disposition, cancel, rate."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from application.aggregates import load_for_change
from application.contact_center.commands import (
    AcceptTask,
    CancelTask,
    CloseFollowUpFromTask,
    CompleteTask,
    RecordTaskCsat,
    RejectTask,
    StartWrapUp,
    WithdrawTaskForSource,
)
from application.contact_center.views import TaskView
from application.ports import CommandContext, UnitOfWork
from domain.contact_center import DispositionCatalog, SourceKind, Task, catalog_id
from domain.contact_center.dispositions import known_disposition
from domain.contact_center.task_values import FINAL
from domain.leads import Lead
from domain.shared import NotFound, RuleViolated


def accept_task(command: AcceptTask, uow: UnitOfWork, ctx: CommandContext) -> TaskView:
    task = load_for_change(uow, Task, command.task_id, command.expected_version)
    task.accept(actor=ctx.actor, at=ctx.now, as_agent=command.as_agent)
    uow.add(task)
    return TaskView.of(task)


def reject_task(command: RejectTask, uow: UnitOfWork, ctx: CommandContext) -> TaskView:
    task = load_for_change(uow, Task, command.task_id, command.expected_version)
    task.reject(actor=ctx.actor, at=ctx.now, as_agent=command.as_agent,
                reason=command.reason)
    uow.add(task)
    return TaskView.of(task)


def start_wrap_up(command: StartWrapUp, uow: UnitOfWork, ctx: CommandContext) -> TaskView:
    task = load_for_change(uow, Task, command.task_id, command.expected_version)
    task.start_wrap_up(actor=ctx.actor, at=ctx.now, as_agent=command.as_agent)
    uow.add(task)
    return TaskView.of(task)


def complete_task(command: CompleteTask, uow: UnitOfWork, ctx: CommandContext) -> TaskView:
    """The disposition must be a standard code or one of the tenant's catalog."""
    task = load_for_change(uow, Task, command.task_id, command.expected_version)
    try:
        catalog: DispositionCatalog | None = uow.get(DispositionCatalog,
                                                     catalog_id(ctx.tenant_id))
    except NotFound:
        catalog = None
    task.complete(actor=ctx.actor, at=ctx.now, as_agent=command.as_agent,
                  disposition=known_disposition(command.disposition, catalog),
                  note=command.note)
    uow.add(task)
    return TaskView.of(task)


def cancel_task(command: CancelTask, uow: UnitOfWork, ctx: CommandContext) -> TaskView:
    task = load_for_change(uow, Task, command.task_id, command.expected_version)
    task.cancel(actor=ctx.actor, at=ctx.now, reason=command.reason)
    uow.add(task)
    return TaskView.of(task)


def record_task_csat(command: RecordTaskCsat, uow: UnitOfWork,
                     ctx: CommandContext) -> TaskView:
    task = uow.get(Task, command.task_id)
    task.record_csat(actor=ctx.actor, at=ctx.now, score=command.score)
    uow.add(task)
    return TaskView.of(task)


class SourceTasks(Protocol):
    def task_for_source(self, tenant_id: UUID, kind: str, ref: str) -> UUID | None:
        """The task created for this source, if any (read model)."""
        ...


class WithdrawTaskForSourceHandler:
    """Idempotent: no task, or a task already ended, is left alone."""

    def __init__(self, tasks: SourceTasks) -> None:
        self._tasks = tasks

    def __call__(self, command: WithdrawTaskForSource, uow: UnitOfWork,
                 ctx: CommandContext) -> bool:
        task_id = self._tasks.task_for_source(ctx.tenant_id, command.source_kind,
                                              command.source_ref)
        if task_id is None:
            return False
        task = uow.get(Task, task_id)
        if task.status in FINAL:
            return False
        task.cancel(actor=ctx.actor, at=ctx.now, reason=command.reason)
        uow.add(task)
        return True


def close_follow_up_from_task(command: CloseFollowUpFromTask, uow: UnitOfWork,
                              ctx: CommandContext) -> bool:
    """Reaction to a completed lead follow-up task: the lead's follow-up is completed with
    the task's disposition. A replay finds it completed and is refused (idempotent)."""
    task = uow.get(Task, command.task_id)
    if task.source_kind is not SourceKind.LEAD_FOLLOW_UP or task.lead_id is None \
            or task.source_ref is None:
        return False
    lead = uow.get(Lead, task.lead_id)
    follow_up_id = UUID(task.source_ref)
    follow_up = lead.follow_ups.get(follow_up_id)
    if follow_up is None:
        raise RuleViolated("the lead has no such follow-up")
    if follow_up.completed_at is not None or not lead.is_open:
        return False
    lead.complete_follow_up(actor=ctx.actor, at=ctx.now,
                            follow_up_id=follow_up_id,
                            outcome=f"task {task.id}: {task.disposition}")
    uow.add(lead)
    return True

