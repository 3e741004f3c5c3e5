"""The Agent aggregate: a user who takes work, with skills, per-channel capacity, shifts and a
declared presence (offline, available, break).

The work an agent holds is not in this stream: each task holds a capacity slot of its agent
(``agent_slot`` claims, see Task), so reserving never has to lock or grow the agent's stream.
Busy and wrap-up are the agent's status *while working*; projections overlay them on the
declared presence from the task events (ADR 0030).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.contact_center.routing import AgentState
from domain.contact_center.values import (
    Presence,
    Schedule,
    Shift,
    channel_capacity,
    skill_levels,
)
from domain.shared.aggregate import TenantAggregate
from domain.shared.errors import InvalidValue
from domain.shared.values import bounded_text


class Agent(TenantAggregate):
    class AgentRegistered(TenantAggregate.Created):
        user_id: UUID | None
        name: str
        skills: dict[str, int]
        capacity: dict[str, int]

    class AgentSkillsChanged(TenantAggregate.Event):
        skills: dict[str, int]

    class AgentCapacityChanged(TenantAggregate.Event):
        capacity: dict[str, int]

    class AgentShiftsChanged(TenantAggregate.Event):
        timezone: str
        shifts: list[dict[str, Any]]

    class AgentStatusChanged(TenantAggregate.Event):
        status: str
        previous_status: str
        previous_since: datetime
        reason: str | None

    @classmethod
    def register(cls, *, agent_id: UUID, tenant_id: UUID, actor: str, at: datetime,
                 user_id: UUID | None, name: str, skills: Mapping[str, int],
                 capacity: Mapping[str, int]) -> Agent:
        text = bounded_text("name", name, limit=200)
        if not text:
            raise InvalidValue("name", "an agent needs a name")
        return cls._create(cls.AgentRegistered, id=agent_id, tenant_id=tenant_id, actor=actor,
                           timestamp=at, user_id=user_id, name=text,
                           skills=skill_levels(skills), capacity=channel_capacity(capacity))

    def __init__(self, *, tenant_id: UUID, user_id: UUID | None, name: str,
                 skills: dict[str, int], capacity: dict[str, int], timestamp: datetime) -> None:
        self.tenant_id = tenant_id
        self.user_id = user_id
        self.name = name
        self.skills = dict(skills)
        self.capacity = dict(capacity)
        self.schedule = Schedule()
        self.presence = Presence.OFFLINE
        self.presence_since = timestamp

    # -- commands ---------------------------------------------------------------------------

    def change_skills(self, *, actor: str, at: datetime, skills: Mapping[str, int]) -> None:
        levels = skill_levels(skills)
        if levels != self.skills:
            self._skills_changed(actor=actor, timestamp=at, skills=levels)

    @event(AgentSkillsChanged)
    def _skills_changed(self, actor: str, timestamp: datetime, skills: dict[str, int]) -> None:
        self.skills = dict(skills)

    def change_capacity(self, *, actor: str, at: datetime, capacity: Mapping[str, int]) -> None:
        """Lowering capacity does not take work away; new work waits until load is below it."""
        slots = channel_capacity(capacity)
        if slots != self.capacity:
            self._capacity_changed(actor=actor, timestamp=at, capacity=slots)

    @event(AgentCapacityChanged)
    def _capacity_changed(self, actor: str, timestamp: datetime,
                          capacity: dict[str, int]) -> None:
        self.capacity = dict(capacity)

    def set_shifts(self, *, actor: str, at: datetime, schedule: Schedule) -> None:
        self._shifts_changed(actor=actor, timestamp=at, timezone=schedule.timezone,
                             shifts=schedule.to_data())

    @event(AgentShiftsChanged)
    def _shifts_changed(self, actor: str, timestamp: datetime, timezone: str,
                        shifts: list[dict[str, Any]]) -> None:
        self.schedule = Schedule(timezone, tuple(Shift.parse(s) for s in shifts))

    def change_status(self, *, actor: str, at: datetime, status: Presence,
                      reason: str | None) -> bool:
        """Declare a presence; the same one again changes nothing (returns False)."""
        if status is self.presence:
            return False
        self._status_changed(actor=actor, timestamp=at, status=status.value,
                             previous_status=self.presence.value,
                             previous_since=self.presence_since,
                             reason=bounded_text("reason", reason, limit=500))
        return True

    @event(AgentStatusChanged)
    def _status_changed(self, actor: str, timestamp: datetime, status: str,
                        previous_status: str, previous_since: datetime,
                        reason: str | None) -> None:
        self.presence = Presence(status)
        self.presence_since = timestamp

    # -- facts ------------------------------------------------------------------------------

    def routing_state(self, load: Mapping[str, int], idle_since: datetime) -> AgentState:
        """This agent as routing sees it, with the load its tasks hold now."""
        return AgentState(id=self.id, presence=self.presence.value, skills=self.skills,
                          capacity=self.capacity, load=load, idle_since=idle_since,
                          rank=(self.created_on.isoformat(), str(self.id)),
                          schedule=self.schedule)
