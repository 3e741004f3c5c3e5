"""Queue handlers: create and change (name unique per tenant; one default queue per source)."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any

from application.aggregates import load_for_change
from application.contact_center.commands import ChangeQueue, CreateQueue, QueueFields
from application.contact_center.views import QueueView
from application.ports import CommandContext, UnitOfWork
from domain.contact_center import Queue, QueueDefinition, ServiceLevel
from domain.shared import Conflict, InvalidValue, NotFound
from domain.shared.ids import new_id

_FIELDS = {f.name for f in fields(QueueFields)}
_CLEARABLE = {"description", "escalation_queue_id"}  # the settings a PATCH may set to null


def definition_of(values: QueueFields) -> QueueDefinition:
    return QueueDefinition.parse(
        name=values.name, description=values.description,
        required_skills=values.required_skills, strategy=values.strategy,
        service_level=ServiceLevel(values.target_answer_seconds, values.target_percentage,
                                   values.max_hold_seconds, values.escalation_queue_id),
        reservation_timeout_seconds=values.reservation_timeout_seconds,
        default_for=values.default_for)


def _check_unique(uow: UnitOfWork, queue: Queue) -> None:
    for claim, owner in uow.owners_of(queue.claims).items():
        if owner != queue.id:
            what = "name" if claim.scope == "queue_name" else f"default for {claim.value}"
            raise Conflict(f"another queue has this {what}", existing_id=str(owner))


def _check_escalation(uow: UnitOfWork, definition: QueueDefinition) -> None:
    target = definition.service_level.escalation_queue_id
    if target is None:
        return
    try:
        uow.get(Queue, target)
    except NotFound:
        raise InvalidValue("escalation_queue_id", "no such queue") from None


def create_queue(command: CreateQueue, uow: UnitOfWork, ctx: CommandContext) -> QueueView:
    definition = definition_of(command.fields)
    _check_escalation(uow, definition)
    queue = Queue.create(queue_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor,
                         at=ctx.now, definition=definition)
    _check_unique(uow, queue)
    uow.add(queue)
    return QueueView.of(queue)


def change_queue(command: ChangeQueue, uow: UnitOfWork, ctx: CommandContext) -> QueueView:
    """A partial update: the fields sent replace the queue's; tasks already waiting keep the
    SLA they entered with."""
    unknown = set(command.changes) - _FIELDS
    if unknown:
        raise InvalidValue(sorted(unknown)[0], "is not a queue setting")
    cleared = [name for name, value in command.changes.items()
               if value is None and name not in _CLEARABLE]
    if cleared:
        raise InvalidValue(sorted(cleared)[0], "cannot be null; leave it out to keep it")
    queue = load_for_change(uow, Queue, command.queue_id, command.expected_version)
    current = QueueView.of(queue)
    values: dict[str, Any] = {name: getattr(current, name) for name in _FIELDS}
    merged = replace(QueueFields(**values), **command.changes)
    definition = definition_of(merged)
    _check_escalation(uow, definition)
    if asdict(merged) != values:
        queue.change(actor=ctx.actor, at=ctx.now, definition=definition)
        _check_unique(uow, queue)
        uow.add(queue)
    return QueueView.of(queue)

