"""Agent handlers: register, change skills or capacity, set shifts, declare a presence."""

from __future__ import annotations

from application.aggregates import load_for_change
from application.contact_center.commands import (
    ChangeAgentProfile,
    ChangeAgentStatus,
    RegisterAgent,
    SetAgentShifts,
)
from application.contact_center.ports import UserDirectory
from application.contact_center.views import AgentView
from application.ports import CommandContext, UnitOfWork
from domain.contact_center import Agent, Presence, Schedule
from domain.contact_center.values import parse_enum
from domain.shared import Conflict, InvalidValue, NotFound
from domain.shared.ids import new_id


class RegisterAgentHandler:
    """An agent for a user takes the user's id, so a user is one agent at most."""

    def __init__(self, users: UserDirectory) -> None:
        self._users = users

    def __call__(self, command: RegisterAgent, uow: UnitOfWork,
                 ctx: CommandContext) -> AgentView:
        agent_id = command.user_id or new_id()
        if command.user_id is not None:
            if not self._users.is_user(ctx.tenant_id, command.user_id):
                raise InvalidValue("user_id", "no such user in this tenant")
            try:
                uow.get(Agent, command.user_id)
            except NotFound:
                pass
            else:
                raise Conflict("this user is already an agent", existing_id=str(agent_id))
        schedule = Schedule.parse(command.timezone, command.shifts)
        at = ctx.now
        agent = Agent.register(agent_id=agent_id, tenant_id=ctx.tenant_id, actor=ctx.actor,
                               at=at, user_id=command.user_id, name=command.name,
                               skills=command.skills, capacity=command.capacity)
        if schedule.shifts or schedule.timezone != "UTC":
            agent.set_shifts(actor=ctx.actor, at=at, schedule=schedule)
        uow.add(agent)
        return AgentView.of(agent)


def change_agent_profile(command: ChangeAgentProfile, uow: UnitOfWork,
                         ctx: CommandContext) -> AgentView:
    if command.skills is None and command.capacity is None:
        raise InvalidValue("skills", "send skills, capacity or both")
    agent = load_for_change(uow, Agent, command.agent_id, command.expected_version)
    at = ctx.now
    if command.skills is not None:
        agent.change_skills(actor=ctx.actor, at=at, skills=command.skills)
    if command.capacity is not None:
        agent.change_capacity(actor=ctx.actor, at=at, capacity=command.capacity)
    uow.add(agent)
    return AgentView.of(agent)


def set_agent_shifts(command: SetAgentShifts, uow: UnitOfWork,
                     ctx: CommandContext) -> AgentView:
    agent = load_for_change(uow, Agent, command.agent_id, command.expected_version)
    agent.set_shifts(actor=ctx.actor, at=ctx.now,
                     schedule=Schedule.parse(command.timezone, command.shifts))
    uow.add(agent)
    return AgentView.of(agent)


def change_agent_status(command: ChangeAgentStatus, uow: UnitOfWork,
                        ctx: CommandContext) -> AgentView:
    """Declare offline, available or break; busy and wrap-up follow from the work in hand."""
    if command.status in ("busy", "wrap_up"):
        raise InvalidValue("status", f"{command.status} follows from the tasks an agent "
                                     "works on; declare offline, available or break")
    status = parse_enum(Presence, command.status, "status")
    agent = load_for_change(uow, Agent, command.agent_id, command.expected_version)
    agent.change_status(actor=ctx.actor, at=ctx.now, status=status,
                        reason=command.reason)
    uow.add(agent)
    return AgentView.of(agent)

