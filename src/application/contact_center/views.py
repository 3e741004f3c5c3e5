"""Contact-center snapshots (after a command, from the aggregate) and views (from read models),
with the query ports that serve them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.ports import Page
from domain.contact_center import Agent, Queue, Script, Task


@dataclass(frozen=True, slots=True)
class AgentView:
    id: UUID
    user_id: UUID | None
    name: str
    skills: dict[str, int]
    capacity: dict[str, int]
    timezone: str
    shifts: list[dict[str, Any]]
    presence: str
    presence_since: datetime
    version: int
    created_at: datetime
    updated_at: datetime
    status: str | None = None
    """Presence overlaid by work (busy, wrap_up); read models only."""
    status_since: datetime | None = None
    load: dict[str, int] | None = None

    @classmethod
    def of(cls, agent: Agent) -> AgentView:
        return cls(id=agent.id, user_id=agent.user_id, name=agent.name, skills=agent.skills,
                   capacity=agent.capacity, timezone=agent.schedule.timezone,
                   shifts=agent.schedule.to_data(), presence=agent.presence.value,
                   presence_since=agent.presence_since, version=agent.version,
                   created_at=agent.created_on, updated_at=agent.modified_on)


@dataclass(frozen=True, slots=True)
class QueueView:
    id: UUID
    name: str
    description: str | None
    required_skills: dict[str, int]
    strategy: str
    target_answer_seconds: int
    target_percentage: int
    max_hold_seconds: int
    escalation_queue_id: UUID | None
    reservation_timeout_seconds: int
    default_for: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, queue: Queue) -> QueueView:
        level = queue.service_level
        return cls(id=queue.id, name=queue.name, description=queue.description,
                   required_skills=queue.required_skills, strategy=queue.strategy.value,
                   target_answer_seconds=level.target_answer_seconds,
                   target_percentage=level.target_percentage,
                   max_hold_seconds=level.max_hold_seconds,
                   escalation_queue_id=level.escalation_queue_id,
                   reservation_timeout_seconds=queue.reservation_timeout_seconds,
                   default_for=[k.value for k in queue.default_for], version=queue.version,
                   created_at=queue.created_on, updated_at=queue.modified_on)


@dataclass(frozen=True, slots=True)
class TaskView:
    id: UUID
    queue_id: UUID
    status: str
    version: int
    channel: str
    priority: int
    required_skills: dict[str, int]
    source_kind: str
    source_ref: str | None
    contact_id: UUID | None
    lead_id: UUID | None
    lead_stage: str | None
    title: str | None
    not_before: datetime | None
    queued_at: datetime | None
    queue_entered_at: datetime | None
    reserved_for: UUID | None
    reservation_id: UUID | None
    reservation_expires_at: datetime | None
    agent_id: UUID | None
    accepted_at: datetime | None
    wrap_up_at: datetime | None
    ended_at: datetime | None
    disposition: str | None
    csat: int | None
    script_id: UUID | None
    script_revision: int | None
    breaches: int
    escalations: int
    declined_by: list[UUID]
    created_at: datetime
    updated_at: datetime

    @property
    def conversation_id(self) -> UUID | None:
        """The conversation a hand-off task is about: its source is ``<conversation id>:<the
        conversation's version>`` (``HandoffTaskPolicy``)."""
        if self.source_kind != "conversation_handoff" or not self.source_ref:
            return None
        return UUID(self.source_ref.partition(":")[0])

    @classmethod
    def of(cls, task: Task) -> TaskView:
        reservation = task.reservation
        return cls(
            id=task.id, queue_id=task.queue_id, status=task.status.value, version=task.version,
            channel=task.channel, priority=task.priority, required_skills=task.required_skills,
            source_kind=task.source_kind.value, source_ref=task.source_ref,
            contact_id=task.contact_id, lead_id=task.lead_id, lead_stage=task.lead_stage,
            title=None, not_before=task.not_before, queued_at=task.queued_at,
            queue_entered_at=task.queue_entered_at,
            reserved_for=reservation.agent_id if reservation else None,
            reservation_id=reservation.id if reservation else None,
            reservation_expires_at=reservation.expires_at if reservation else None,
            agent_id=task.agent_id, accepted_at=task.accepted_at, wrap_up_at=task.wrap_up_at,
            ended_at=task.ended_at, disposition=task.disposition, csat=task.csat,
            script_id=task.script.script_id if task.script else None,
            script_revision=task.script.revision if task.script else None,
            breaches=task.breaches, escalations=task.escalations,
            declined_by=sorted(task.declined_by, key=str), created_at=task.created_on,
            updated_at=task.modified_on)


@dataclass(frozen=True, slots=True)
class ScriptView:
    id: UUID
    target_kind: str
    target: str
    title: str
    steps: list[str]
    revision: int
    retired: bool
    version: int
    created_at: datetime
    updated_at: datetime
    revisions: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, script: Script) -> ScriptView:
        current = script.current
        return cls(id=script.id, target_kind=script.target_kind.value, target=script.target,
                   title=current.title, steps=list(current.steps), revision=current.revision,
                   retired=script.retired, version=script.version, created_at=script.created_on,
                   updated_at=script.modified_on, revisions=sorted(script.revisions))


@dataclass(frozen=True, slots=True)
class DispositionView:
    code: str
    label: str
    description: str | None
    standard: bool


# -- supervisor overview ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueOverview:
    id: UUID
    name: str
    strategy: str
    waiting: int
    scheduled: int
    reserved: int
    in_progress: int
    oldest_waiting_since: datetime | None
    oldest_wait_seconds: float | None
    target_answer_seconds: int
    target_percentage: int
    answered_today: int
    met_today: int
    missed_today: int
    abandoned_today: int
    breaches_today: int
    sla_attainment_today: float | None
    """met / (met + missed); None before the first task of the day is decided."""
    agents_by_status: dict[str, int]
    """Agents holding the queue's required skills, by status."""


@dataclass(frozen=True, slots=True)
class Overview:
    at: datetime
    day_start: datetime
    queues: list[QueueOverview]
    agents_by_status: dict[str, int]
    waiting: int


# -- agent performance ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentDay:
    agent_id: UUID
    day: str
    tasks_handled: int
    average_handle_seconds: float | None
    average_talk_seconds: float | None
    average_wrap_up_seconds: float | None
    average_speed_of_answer_seconds: float | None
    first_contact_resolution: float | None
    fcr_tasks: int
    csat_average: float | None
    csat_responses: int
    occupancy: float | None
    busy_seconds: float
    logged_in_seconds: float
    sla_attainment: float | None
    leads_converted: int
    reservations_offered: int
    reservations_accepted: int
    reservations_rejected: int
    reservations_timed_out: int


# -- query ports ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentFilters:
    presence: str | None = None
    skill: str | None = None


@dataclass(frozen=True, slots=True)
class TaskFilters:
    status: str | None = None
    queue_id: UUID | None = None
    agent_id: UUID | None = None
    """Tasks reserved for or handled by this agent."""
    contact_id: UUID | None = None


class ContactCenterQueries(Protocol):
    def agent(self, tenant_id: UUID, agent_id: UUID) -> AgentView | None: ...

    def agents(self, tenant_id: UUID, filters: AgentFilters, *, limit: int,
               cursor: str | None) -> Page[AgentView]: ...

    def queue(self, tenant_id: UUID, queue_id: UUID) -> QueueView | None: ...

    def queues(self, tenant_id: UUID, *, limit: int, cursor: str | None) -> Page[QueueView]: ...

    def task(self, tenant_id: UUID, task_id: UUID) -> TaskView | None: ...

    def tasks(self, tenant_id: UUID, filters: TaskFilters, *, limit: int,
              cursor: str | None) -> Page[TaskView]: ...

    def overview(self, tenant_id: UUID, now: datetime) -> Overview: ...


class CatalogQueries(Protocol):
    def dispositions(self, tenant_id: UUID) -> list[DispositionView]: ...

    def script(self, tenant_id: UUID, script_id: UUID,
               revision: int | None = None) -> ScriptView | None: ...

    def scripts(self, tenant_id: UUID, *, target_kind: str | None, target: str | None,
                include_retired: bool, limit: int, cursor: str | None) -> Page[ScriptView]: ...


class PerformanceQueries(Protocol):
    def agent_days(self, tenant_id: UUID, start: datetime, end: datetime, now: datetime,
                   agent_id: UUID | None = None,
                   as_of: datetime | None = None) -> list[AgentDay]:
        """Per agent per UTC day in [start, end), figures as defined in ADR 0031. ``as_of``:
        as the report stood at that moment, recomputed from the events recorded up to it
        (ADR 0091); ``now`` is then the earlier of the two."""
        ...
