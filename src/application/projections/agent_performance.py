"""The agent_performance read model: the facts behind each agent's daily figures.

It keeps facts, not averages: one row per task (when it waited, was answered, wrapped up,
completed, rated), every closed status interval of every agent, reservation counts per agent
per day, and lead conversions with the agent credited. Averages, rates and occupancy are
computed from these when asked (application.contact_center.metrics), so a figure for any range
of days is exact and a changed definition needs no migration, only a new version (ADR 0031).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any
from uuid import UUID

from application.projections import agent_work
from application.projections.base import Projection, RowKey, ViewRows
from domain.contact_center import Agent, Task
from domain.leads import Lead

TASKS, AGENTS, INTERVALS, DAYS, CONVERSIONS = (
    "ap_tasks", "ap_agents", "ap_status_intervals", "ap_agent_days", "ap_conversions")


def _task(event: Any) -> list[tuple[str, RowKey]]:
    return [(TASKS, (event.tenant_id, event.originator_id))]


def _work(event: Any) -> list[tuple[str, RowKey]]:
    keys = _task(event)
    if getattr(event, "agent_id", None) is not None:
        keys += [(AGENTS, (event.tenant_id, event.agent_id)),
                 (DAYS, (event.tenant_id, event.agent_id, _day(event)))]
    return keys


def _lead(event: Any) -> list[tuple[str, RowKey]]:
    return [(CONVERSIONS, (event.tenant_id, event.originator_id))]


def _day(event: Any) -> Any:
    return event.timestamp.astimezone(UTC).date()


class AgentPerformanceProjection(Projection):
    name = "agent_performance"
    version = 1
    tables = (TASKS, AGENTS, INTERVALS, DAYS, CONVERSIONS)

    def __init__(self) -> None:
        super().__init__()
        own_agent = lambda e: [(AGENTS, (e.tenant_id, e.originator_id))]  # noqa: E731
        self.on(Agent.AgentRegistered, self._registered, own_agent)
        self.on(Agent.AgentStatusChanged, self._status_changed, own_agent)
        self.on(Task.TaskCreated, self._created, _task, uses_personal_data=False)
        self.on(Task.TaskQueued, self._task(lambda e, r: {
            "queued_at": e.timestamp, "queue_id": e.queue_id,
            "target_answer_seconds": e.target_answer_seconds, "status": "queued"}), _task)
        self.on(Task.TaskEscalated, self._task(lambda e, r: {
            "queue_id": e.queue_id, "target_answer_seconds": e.target_answer_seconds}), _task)
        self.on(Task.TaskReserved, self._reserved, _work)
        self.on(Task.ReservationRejected, self._declined("rejected"), _work)
        self.on(Task.ReservationTimedOut, self._declined("timed_out"), _work)
        self.on(Task.TaskAccepted, self._accepted, _work)
        self.on(Task.TaskWrapUpStarted, self._wrap_up, _work)
        self.on(Task.TaskCompleted, self._completed, _work, uses_personal_data=False)
        self.on(Task.TaskCanceled, self._canceled, _work, uses_personal_data=False)
        self.on(Task.TaskCsatRecorded, self._task(lambda e, r: {"csat": e.score}), _task)
        self.on(Lead.LeadAssigned, self._assigned, _lead)
        self.on(Lead.LeadConverted, self._converted, _lead)
        self.on(Lead.LeadReopened, self._reopened, _lead, uses_personal_data=False)

    # -- agents and their status intervals ------------------------------------------------

    @staticmethod
    def _registered(event: Agent.AgentRegistered, rows: ViewRows) -> None:
        rows.put(AGENTS, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id, "presence": "offline",
            "presence_since": event.timestamp, "status": "offline",
            "status_since": event.timestamp, "work": {}, "load": {}, "seq": 0})

    @staticmethod
    def _advance(rows: ViewRows, key: RowKey, at: Any, **change: Any) -> None:
        row = rows.get(AGENTS, key)
        if row is None:
            return
        updated, closed = agent_work.change(row, at, **change)
        if closed is not None:
            status, start, end = closed
            updated["seq"] = row["seq"] + 1
            rows.put(INTERVALS, (key[0], key[1], updated["seq"]), {
                "tenant_id": key[0], "agent_id": key[1], "seq": updated["seq"],
                "status": status, "started_at": start, "ended_at": end})
        rows.put(AGENTS, key, updated)

    @classmethod
    def _status_changed(cls, event: Agent.AgentStatusChanged, rows: ViewRows) -> None:
        cls._advance(rows, (event.tenant_id, event.originator_id), event.timestamp,
                     presence=event.status)

    @classmethod
    def _agent_work(cls, event: Any, rows: ViewRows, **change: Any) -> None:
        cls._advance(rows, (event.tenant_id, event.agent_id), event.timestamp,
                     task=str(event.originator_id), channel=getattr(event, "channel", None),
                     **change)

    @staticmethod
    def _count(event: Any, rows: ViewRows, column: str) -> None:
        key = (event.tenant_id, event.agent_id, _day(event))
        row = rows.get(DAYS, key) or {"tenant_id": key[0], "agent_id": key[1], "day": key[2],
                                      "offered": 0, "accepted": 0, "rejected": 0,
                                      "timed_out": 0}
        rows.put(DAYS, key, {**row, column: row[column] + 1})

    # -- tasks ------------------------------------------------------------------------------

    @staticmethod
    def _task(change: Any) -> Any:
        def handler(event: Any, rows: ViewRows) -> None:
            key = (event.tenant_id, event.originator_id)
            row = rows.get(TASKS, key)
            if row is not None:
                rows.put(TASKS, key, {**row, **change(event, row)})
        return handler

    @staticmethod
    def _created(event: Task.TaskCreated, rows: ViewRows) -> None:
        rows.put(TASKS, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id, "agent_id": None,
            "queue_id": event.queue_id, "contact_id": event.contact_id,
            "source_kind": event.source_kind, "status": "created",
            "created_at": event.timestamp, "queued_at": None,
            "reserved_at": None, "accepted_at": None, "wrap_up_at": None,
            "completed_at": None, "canceled_at": None, "target_answer_seconds": 0,
            "csat": None})

    @classmethod
    def _reserved(cls, event: Task.TaskReserved, rows: ViewRows) -> None:
        cls._task(lambda e, r: {"reserved_at": e.timestamp, "status": "reserved"}
                  )(event, rows)
        cls._count(event, rows, "offered")
        cls._agent_work(event, rows, phase="reserved")

    @classmethod
    def _declined(cls, column: str) -> Any:
        def handler(event: Any, rows: ViewRows) -> None:
            cls._task(lambda e, r: {"status": "queued"})(event, rows)
            cls._count(event, rows, column)
            cls._agent_work(event, rows, drop=True)
        return handler

    @classmethod
    def _accepted(cls, event: Task.TaskAccepted, rows: ViewRows) -> None:
        cls._task(lambda e, r: {"agent_id": e.agent_id, "accepted_at": e.timestamp,
                                "queued_at": e.queued_at, "status": "accepted",
                                "target_answer_seconds": e.target_answer_seconds}
                  )(event, rows)
        cls._count(event, rows, "accepted")
        cls._agent_work(event, rows, phase="talk")

    @classmethod
    def _wrap_up(cls, event: Task.TaskWrapUpStarted, rows: ViewRows) -> None:
        cls._task(lambda e, r: {"wrap_up_at": e.timestamp, "status": "wrap_up"})(event, rows)
        cls._agent_work(event, rows, phase="wrap")

    @classmethod
    def _completed(cls, event: Task.TaskCompleted, rows: ViewRows) -> None:
        cls._task(lambda e, r: {"completed_at": e.timestamp, "status": "completed"}
                  )(event, rows)
        cls._agent_work(event, rows, drop=True)

    @classmethod
    def _canceled(cls, event: Task.TaskCanceled, rows: ViewRows) -> None:
        cls._task(lambda e, r: {"canceled_at": e.timestamp, "status": "canceled"})(event, rows)
        if event.agent_id is not None:
            cls._agent_work(event, rows, drop=True)

    # -- leads converted --------------------------------------------------------------------

    @staticmethod
    def _conversion(event: Any, rows: ViewRows) -> dict[str, Any]:
        return rows.get(CONVERSIONS, (event.tenant_id, event.originator_id)) or {
            "tenant_id": event.tenant_id, "lead_id": event.originator_id, "assigned_to": None,
            "converted_at": None, "credited_to": None}

    @classmethod
    def _assigned(cls, event: Lead.LeadAssigned, rows: ViewRows) -> None:
        row = cls._conversion(event, rows)
        rows.put(CONVERSIONS, (event.tenant_id, event.originator_id),
                 {**row, "assigned_to": event.agent_id})

    @classmethod
    def _converted(cls, event: Lead.LeadConverted, rows: ViewRows) -> None:
        """Credited to the lead's assignee, or else to the user who converted it."""
        row = cls._conversion(event, rows)
        credited = row["assigned_to"] or _user_of(event.actor)
        rows.put(CONVERSIONS, (event.tenant_id, event.originator_id),
                 {**row, "converted_at": event.timestamp, "credited_to": credited})

    @classmethod
    def _reopened(cls, event: Lead.LeadReopened, rows: ViewRows) -> None:
        row = cls._conversion(event, rows)
        if row["converted_at"] is not None:  # a reopened conversion no longer counts
            rows.put(CONVERSIONS, (event.tenant_id, event.originator_id),
                     {**row, "converted_at": None, "credited_to": None})


def _user_of(actor: str) -> UUID | None:
    kind, _, ident = actor.partition(":")
    if kind != "user":
        return None
    try:
        return UUID(ident)
    except ValueError:
        return None
