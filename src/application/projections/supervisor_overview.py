"""The supervisor_overview read model: queues, agents (status, load) and tasks, live.

It is what supervisors see and what the dispatcher and the clock-driven processes read. Every
row is a function of the events alone; values that depend on "now" (how long the oldest task
has waited, today's SLA) are computed when queried, from the timestamps kept here (ADR 0032).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from application.projections import agent_work
from application.projections.base import Projection, Row, RowKey, ViewRows
from domain.contact_center import Agent, Queue, Task
from domain.contact_center.values import merge_requirements
from domain.contacts import Contact

QUEUES, AGENTS, TASKS = "cc_queues", "cc_agents", "cc_tasks"

_QUEUE_FIELDS = ("name", "description", "required_skills", "strategy",
                 "reservation_timeout_seconds", "default_for")


def _queue_settings(event: Queue.QueueCreated | Queue.QueueChanged) -> Row:
    """The queue's columns; the service level is kept as four columns."""
    level = event.service_level
    return {**{f: getattr(event, f) for f in _QUEUE_FIELDS},
            "target_answer_seconds": level.target_answer_seconds,
            "target_percentage": level.target_percentage,
            "max_hold_seconds": level.max_hold_seconds,
            "escalation_queue_id": level.escalation_queue_id}


def _task(event: Any) -> list[tuple[str, RowKey]]:
    return [(TASKS, (event.tenant_id, event.originator_id))]


def _task_and_agent(event: Any) -> list[tuple[str, RowKey]]:
    keys = _task(event)
    if getattr(event, "agent_id", None) is not None:
        keys.append((AGENTS, (event.tenant_id, event.agent_id)))
    return keys


def _task_agent_queue(event: Any) -> list[tuple[str, RowKey]]:
    return [*_task_and_agent(event), (QUEUES, (event.tenant_id, event.queue_id))]


class SupervisorOverviewProjection(Projection):
    name = "supervisor_overview"
    version = 2
    tables = (QUEUES, AGENTS, TASKS)

    def __init__(self) -> None:
        super().__init__()
        queue_key = _own(QUEUES)
        agent_key = _own(AGENTS)
        self.on(Queue.QueueCreated, self._queue_created, queue_key)
        self.on(Queue.QueueChanged, self._queue_changed, queue_key)
        self.on(Agent.AgentRegistered, self._agent_registered, agent_key)
        self.on(Agent.AgentSkillsChanged, self._agent(lambda e, r: {"skills": e.skills}),
                agent_key)
        self.on(Agent.AgentCapacityChanged,
                self._agent(lambda e, r: {"capacity": e.capacity}), agent_key)
        self.on(Agent.AgentShiftsChanged, self._agent(
            lambda e, r: {"timezone": e.timezone, "shifts": e.shifts}), agent_key)
        self.on(Agent.AgentStatusChanged, self._status_changed, agent_key)
        self.on(Task.TaskCreated, self._task_created, _task, uses_personal_data=True)
        self.on(Task.TaskQueued, self._task_queued, _task)
        self.on(Task.TaskReserved, self._task_reserved, _task_agent_queue)
        self.on(Task.ReservationRejected, self._back_to_queue, _task_and_agent)
        self.on(Task.ReservationTimedOut, self._back_to_queue, _task_and_agent)
        self.on(Task.TaskAccepted, self._accepted, _task_and_agent)
        self.on(Task.TaskWrapUpStarted, self._wrap_up, _task_and_agent)
        self.on(Task.TaskCompleted, self._completed, _task_and_agent,
                uses_personal_data=False)
        self.on(Task.TaskCanceled, self._canceled, _task_and_agent, uses_personal_data=False)
        self.on(Task.SlaBreached, self._breached, lambda e: [*_task(e), (
            QUEUES, (e.tenant_id, e.queue_id))])
        self.on(Task.TaskEscalated, self._escalated, _task)
        self.on(Task.TaskCsatRecorded, self._update_task(lambda e, r: {"csat": e.score}), _task)
        self.on(Contact.ContactErased, self._contact_erased, lambda e: [])

    @staticmethod
    def _contact_erased(event: Contact.ContactErased, rows: ViewRows) -> None:
        """The tasks stay (they are the queue's history); their titles, which may name the
        person, go."""
        rows.clear_where(TASKS, event.tenant_id, "contact_id", event.originator_id, ("title",))

    # -- queues -----------------------------------------------------------------------------

    @staticmethod
    def _queue_created(event: Queue.QueueCreated, rows: ViewRows) -> None:
        rows.put(QUEUES, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id,
            **_queue_settings(event), "last_agent_id": None,
            "breaches": {}, "version": event.originator_version,
            "created_at": event.timestamp, "updated_at": event.timestamp})

    @staticmethod
    def _queue_changed(event: Queue.QueueChanged, rows: ViewRows) -> None:
        key = (event.tenant_id, event.originator_id)
        row = rows.get(QUEUES, key)
        if row is not None:
            rows.put(QUEUES, key, {**row, **_queue_settings(event),
                                   "version": event.originator_version,
                                   "updated_at": event.timestamp})

    # -- agents -----------------------------------------------------------------------------

    @staticmethod
    def _agent_registered(event: Agent.AgentRegistered, rows: ViewRows) -> None:
        rows.put(AGENTS, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id, "user_id": event.user_id,
            "name": event.name, "skills": event.skills, "capacity": event.capacity,
            "timezone": "UTC", "shifts": [], "presence": "offline",
            "presence_since": event.timestamp, "status": "offline",
            "status_since": event.timestamp, "work": {}, "load": {},
            "idle_since": event.timestamp, "version": event.originator_version,
            "created_at": event.timestamp, "updated_at": event.timestamp})

    @staticmethod
    def _agent(change: Callable[[Any, Row], Row]) -> Callable[[Any, ViewRows], None]:
        def handler(event: Any, rows: ViewRows) -> None:
            key = (event.tenant_id, event.originator_id)
            row = rows.get(AGENTS, key)
            if row is not None:
                rows.put(AGENTS, key, {**row, **change(event, row),
                                       "version": event.originator_version,
                                       "updated_at": event.timestamp})
        return handler

    @staticmethod
    def _status_changed(event: Agent.AgentStatusChanged, rows: ViewRows) -> None:
        key = (event.tenant_id, event.originator_id)
        row = rows.get(AGENTS, key)
        if row is None:
            return
        updated, _ = agent_work.change(row, event.timestamp, presence=event.status)
        if event.status == "available":
            updated["idle_since"] = event.timestamp
        rows.put(AGENTS, key, {**updated, "version": event.originator_version,
                               "updated_at": event.timestamp})

    @staticmethod
    def _work(rows: ViewRows, event: Any, *, phase: str | None = None,
              drop: bool = False, idle: bool = False) -> None:
        if getattr(event, "agent_id", None) is None:
            return
        key = (event.tenant_id, event.agent_id)
        row = rows.get(AGENTS, key)
        if row is None:
            return
        updated, _ = agent_work.change(row, event.timestamp, task=str(event.originator_id),
                                       phase=phase, channel=getattr(event, "channel", None),
                                       drop=drop)
        if idle:
            updated["idle_since"] = event.timestamp
        rows.put(AGENTS, key, updated)

    # -- tasks ------------------------------------------------------------------------------

    @staticmethod
    def _update_task(change: Callable[[Any, Row], Row]) -> Callable[[Any, ViewRows], None]:
        def handler(event: Any, rows: ViewRows) -> None:
            key = (event.tenant_id, event.originator_id)
            row = rows.get(TASKS, key)
            if row is not None:
                rows.put(TASKS, key, {**row, **change(event, row),
                                      "version": event.originator_version,
                                      "updated_at": event.timestamp})
        return handler

    @staticmethod
    def _task_created(event: Task.TaskCreated, rows: ViewRows) -> None:
        rows.put(TASKS, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id,
            "queue_id": event.queue_id, "status": "created", "channel": event.channel,
            "priority": event.priority, "own_skills": event.required_skills,
            "required_skills": event.required_skills, "source_kind": event.source_kind,
            "source_ref": event.source_ref, "contact_id": event.contact_id,
            "lead_id": event.lead_id, "lead_stage": event.lead_stage, "title": event.title,
            "not_before": event.not_before, "queued_at": None, "queue_entered_at": None,
            "hold_deadline": None, "target_answer_seconds": 0, "max_hold_seconds": 0,
            "escalation_queue_id": None, "reservation_timeout_seconds": 0,
            "reserved_for": None, "reservation_id": None, "reserved_at": None,
            "reservation_expires_at": None, "agent_id": None, "accepted_at": None,
            "wrap_up_at": None, "ended_at": None, "wait_ended_at": None, "disposition": None,
            "csat": None, "script_id": None, "script_revision": None, "breached_here": False,
            "breaches": 0, "escalations": 0, "declined_by": [],
            "version": event.originator_version, "created_at": event.timestamp,
            "updated_at": event.timestamp})

    @classmethod
    def _task_queued(cls, event: Task.TaskQueued, rows: ViewRows) -> None:
        cls._update_task(lambda e, r: {"status": "queued", "queued_at": e.timestamp,
                                       **_stay(e, r)})(event, rows)

    @classmethod
    def _task_reserved(cls, event: Task.TaskReserved, rows: ViewRows) -> None:
        cls._update_task(lambda e, r: {
            "status": "reserved", "reserved_for": e.agent_id, "reservation_id": e.reservation_id,
            "reserved_at": e.timestamp, "reservation_expires_at": e.expires_at,
            "script_id": e.script_id, "script_revision": e.script_revision})(event, rows)
        cls._work(rows, event, phase="reserved", idle=True)
        key = (event.tenant_id, event.queue_id)
        queue = rows.get(QUEUES, key)
        if queue is not None:  # the round-robin pointer
            rows.put(QUEUES, key, {**queue, "last_agent_id": event.agent_id})

    @classmethod
    def _back_to_queue(cls, event: Any, rows: ViewRows) -> None:
        cls._update_task(lambda e, r: {
            "status": "queued", "reserved_for": None, "reservation_id": None,
            "reserved_at": None, "reservation_expires_at": None,
            "declined_by": sorted({*r["declined_by"], str(e.agent_id)})})(event, rows)
        cls._work(rows, event, drop=True, idle=True)

    @classmethod
    def _accepted(cls, event: Task.TaskAccepted, rows: ViewRows) -> None:
        cls._update_task(lambda e, r: {"status": "accepted", "agent_id": e.agent_id,
                                       "accepted_at": e.timestamp,
                                       "wait_ended_at": e.timestamp})(event, rows)
        cls._work(rows, event, phase="talk")

    @classmethod
    def _wrap_up(cls, event: Task.TaskWrapUpStarted, rows: ViewRows) -> None:
        cls._update_task(lambda e, r: {"status": "wrap_up", "wrap_up_at": e.timestamp}
                         )(event, rows)
        cls._work(rows, event, phase="wrap")

    @classmethod
    def _completed(cls, event: Task.TaskCompleted, rows: ViewRows) -> None:
        cls._update_task(lambda e, r: {"status": "completed", "ended_at": e.timestamp,
                                       "disposition": e.disposition})(event, rows)
        cls._work(rows, event, drop=True, idle=True)

    @classmethod
    def _canceled(cls, event: Task.TaskCanceled, rows: ViewRows) -> None:
        waiting = event.previous_status in ("created", "queued", "reserved")
        cls._update_task(lambda e, r: {
            "status": "canceled", "ended_at": e.timestamp,
            "wait_ended_at": e.timestamp if waiting and r["queued_at"] else r["wait_ended_at"],
            "reserved_for": None, "reservation_expires_at": None})(event, rows)
        cls._work(rows, event, drop=True, idle=True)

    @staticmethod
    def _breached(event: Task.SlaBreached, rows: ViewRows) -> None:
        SupervisorOverviewProjection._update_task(lambda e, r: {
            "breached_here": True, "breaches": r["breaches"] + 1})(event, rows)
        key = (event.tenant_id, event.queue_id)
        queue = rows.get(QUEUES, key)
        if queue is not None:
            day = event.timestamp.astimezone(UTC).date().isoformat()
            breaches = {**queue["breaches"], day: queue["breaches"].get(day, 0) + 1}
            rows.put(QUEUES, key, {**queue, "breaches": breaches})

    @classmethod
    def _escalated(cls, event: Task.TaskEscalated, rows: ViewRows) -> None:
        cls._update_task(lambda e, r: {**_stay(e, r), "escalations": r["escalations"] + 1}
                         )(event, rows)


def _own(table: str) -> Callable[[Any], list[tuple[str, RowKey]]]:
    def keys(event: Any) -> list[tuple[str, RowKey]]:
        return [(table, (event.tenant_id, event.originator_id))]
    return keys


def _stay(event: Any, row: Row) -> Row:
    """Entering a queue (first time or by escalation): its settings and the hold clock."""
    return {"queue_id": event.queue_id,
            "required_skills": merge_requirements(row["own_skills"], event.queue_skills),
            "queue_entered_at": event.timestamp,
            "hold_deadline": event.timestamp + timedelta(seconds=event.max_hold_seconds),
            "target_answer_seconds": event.target_answer_seconds,
            "max_hold_seconds": event.max_hold_seconds,
            "escalation_queue_id": event.escalation_queue_id,
            "reservation_timeout_seconds": event.reservation_timeout_seconds,
            "breached_here": False}
