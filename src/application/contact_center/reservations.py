"""Reserving a task for an agent, and timing a reservation out.

Capacity is a claim per slot: a reserved or worked task holds ``agent_slot`` =
(agent, channel, n). Reserving looks the agent's slots up, refuses when as many are held as
the agent's capacity, and takes a free one; the commit inserts the claim, so two concurrent
reservations of the last slot cannot both succeed (the loser is retried and refused). The
agent's stream is only read, never written: reservations do not contend on it (ADR 0030).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.contact_center.commands import ReserveTask, TimeOutReservation
from application.contact_center.views import TaskView
from application.ports import CommandContext, UnitOfWork
from domain.contact_center import Agent, PinnedScript, Script, ScriptTarget, Task, TaskStatus
from domain.contact_center.script import script_claim
from domain.contact_center.task_values import slot_claim
from domain.contact_center.values import MAX_CAPACITY
from domain.shared import RuleViolated
from domain.shared.ids import new_id


def current_script(uow: UnitOfWork, task: Task) -> PinnedScript | None:
    """The script for the task's lead stage if there is one, else the queue's."""
    wanted = [script_claim(ScriptTarget.QUEUE, str(task.queue_id))]
    if task.lead_stage is not None:
        wanted.insert(0, script_claim(ScriptTarget.LEAD_STAGE, task.lead_stage))
    owners = uow.owners_of(wanted)
    for claim in wanted:
        if claim in owners:
            script = uow.get(Script, owners[claim])
            return PinnedScript(script.id, script.current.revision)
    return None


def reserve_into(uow: UnitOfWork, task: Task, agent_id: UUID, *, actor: str,
                 at: datetime) -> None:
    """Reserve ``task`` (loaded or staged in ``uow``) for the agent, if the write model agrees:
    the agent's presence, shift and skills (Agent), a free slot of the task's channel (slot
    claims), and the script current now."""
    if task.status is not TaskStatus.QUEUED:
        raise RuleViolated(f"a {task.status} task cannot be reserved")
    agent = uow.get(Agent, agent_id)
    slots = [slot_claim(agent.id, task.channel, n) for n in range(MAX_CAPACITY)]
    held = uow.owners_of(slots)
    free = [n for n, claim in enumerate(slots) if claim not in held]
    if not free:
        raise RuleViolated(f"the agent has no free {task.channel} capacity")
    state = agent.routing_state({task.channel: len(held)}, at)
    task.reserve(actor=actor, at=at, agent=state, reservation_id=new_id(), slot=free[0],
                 script=current_script(uow, task))


def reserve_task(command: ReserveTask, uow: UnitOfWork, ctx: CommandContext) -> TaskView:
    task = uow.get(Task, command.task_id)
    reserve_into(uow, task, command.agent_id, actor=ctx.actor, at=ctx.now)
    uow.add(task)
    return TaskView.of(task)


def time_out_reservation(command: TimeOutReservation, uow: UnitOfWork,
                         ctx: CommandContext) -> bool:
    """Idempotent: a reservation already answered, or not yet expired, is left alone."""
    task = uow.get(Task, command.task_id)
    if task.time_out(actor=ctx.actor, at=ctx.now,
                     reservation_id=command.reservation_id):
        uow.add(task)
        return True
    return False

