"""Disposition codes and call scripts (playbooks)."""

from __future__ import annotations

from application.aggregates import load_for_change
from application.contact_center.commands import (
    AddDisposition,
    CreateScript,
    RetireScript,
    ReviseScript,
)
from application.contact_center.views import DispositionView, ScriptView
from application.ports import CommandContext, UnitOfWork
from domain.contact_center import DispositionCatalog, Queue, Script, ScriptTarget, catalog_id
from domain.shared import Conflict, InvalidValue, NotFound
from domain.shared.ids import new_id


def add_disposition(command: AddDisposition, uow: UnitOfWork,
                    ctx: CommandContext) -> DispositionView:
    now = ctx.now
    try:
        catalog = uow.get(DispositionCatalog, catalog_id(ctx.tenant_id))
    except NotFound:
        catalog = DispositionCatalog.open(tenant_id=ctx.tenant_id, actor=ctx.actor, at=now)
    code = catalog.add(actor=ctx.actor, at=now, code=command.code, label=command.label,
                       description=command.description)
    uow.add(catalog)
    label, description = catalog.codes[code]
    return DispositionView(code=code, label=label, description=description, standard=False)


def create_script(command: CreateScript, uow: UnitOfWork,
                  ctx: CommandContext) -> ScriptView:
    """A script for a queue or for a lead stage; one current script per target."""
    if (command.queue_id is None) == (command.lead_stage is None):
        raise InvalidValue("queue_id", "a script targets either a queue_id or a lead_stage")
    if command.queue_id is not None:
        try:
            uow.get(Queue, command.queue_id)
        except NotFound:
            raise InvalidValue("queue_id", "no such queue") from None
        kind, target = ScriptTarget.QUEUE, str(command.queue_id)
    else:
        kind, target = ScriptTarget.LEAD_STAGE, str(command.lead_stage).strip().lower()
    script = Script.create(script_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor,
                           at=ctx.now, target_kind=kind, target=target,
                           title=command.title, steps=command.steps)
    taken = uow.owners_of(script.claims)
    if taken:
        raise Conflict(f"this {kind.value} has a script already; revise it with PUT",
                       existing_id=str(next(iter(taken.values()))))
    uow.add(script)
    return ScriptView.of(script)


def revise_script(command: ReviseScript, uow: UnitOfWork,
                  ctx: CommandContext) -> ScriptView:
    script = load_for_change(uow, Script, command.script_id, command.expected_version)
    script.revise(actor=ctx.actor, at=ctx.now, title=command.title,
                  steps=command.steps)
    uow.add(script)
    return ScriptView.of(script)


def retire_script(command: RetireScript, uow: UnitOfWork,
                  ctx: CommandContext) -> ScriptView:
    script = load_for_change(uow, Script, command.script_id, command.expected_version)
    script.retire(actor=ctx.actor, at=ctx.now)
    uow.add(script)
    return ScriptView.of(script)

