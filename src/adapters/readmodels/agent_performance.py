"""Agent figures per day from the agent_performance read model (facts fetched here, figures
computed by application.contact_center.metrics), or as of a past moment from the same
projection applied to the events up to it (in memory, one tenant, ADR 0091); and the recorded
arrivals of a period for the what-if simulation (from supervisor_overview)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.postgres.database import DictPool
from adapters.projections.as_of import compute_as_of
from adapters.readmodels.contact_center import schedule_of
from adapters.readmodels.engine import ReadModelReader
from application.contact_center.metrics import (
    FCR_WINDOW,
    HandledTask,
    ReservationCounts,
    StatusInterval,
    agent_days,
    agent_days_from_rows,
    utc_day,
    utc_days,
)
from application.contact_center.simulation import Arrival, StaffMember
from application.contact_center.views import AgentDay
from application.projections.agent_performance import (
    AGENTS,
    CONVERSIONS,
    DAYS,
    INTERVALS,
    TASKS,
    AgentPerformanceProjection,
)


class SqlPerformanceQueries:
    def __init__(self, reader: ReadModelReader, app_pool: DictPool,
                 mapper: PersonalDataMapper) -> None:
        """``app_pool`` and ``mapper``: the API's own; a report as of a moment reads the
        tenant's events as that tenant under row-level security (ADR 0072), like LTV's."""
        self._reader, self._pool, self._mapper = reader, app_pool, mapper

    def agent_days(self, tenant_id: UUID, start: datetime, end: datetime, now: datetime,
                   agent_id: UUID | None = None,
                   as_of: datetime | None = None) -> list[AgentDay]:
        if as_of is not None:
            rows = compute_as_of(AgentPerformanceProjection(), as_of, self._pool,
                                 self._mapper, tenant_id=tenant_id, as_tenant=True)
            return agent_days_from_rows(
                tasks=rows.rows(TASKS), intervals=rows.rows(INTERVALS),
                agents=rows.rows(AGENTS), conversions=rows.rows(CONVERSIONS),
                reservations=rows.rows(DAYS), start=start, end=end, now=min(now, as_of),
                agent_id=agent_id)
        params: dict[str, Any] = {"t": tenant_id, "start": start, "end": end,
                                  "fcr_end": end + FCR_WINDOW, "agent": agent_id,
                                  "start_day": utc_day(start), "end_day": utc_day(end)}
        mine = " AND agent_id = %(agent)s" if agent_id is not None else ""
        handled = [HandledTask(r["id"], r["agent_id"], r["contact_id"], r["queued_at"],
                               r["accepted_at"], r["wrap_up_at"], r["completed_at"],
                               r["target_answer_seconds"], r["csat"])
                   for r in self._reader.fetch(tenant_id, (
                       "SELECT * FROM ap_tasks WHERE tenant_id = %(t)s AND status = 'completed' "
                       f"AND completed_at >= %(start)s AND completed_at < %(end)s{mine}"), params)]
        contacts = sorted({t.contact_id for t in handled if t.contact_id is not None}, key=str)
        later: dict[UUID, list[datetime]] = defaultdict(list)
        if contacts:
            for r in self._reader.fetch(tenant_id, (
                    "SELECT contact_id, created_at FROM ap_tasks WHERE tenant_id = %(t)s "
                    "AND contact_id = ANY(%(contacts)s) AND created_at >= %(start)s "
                    "AND created_at <= %(fcr_end)s"), {**params, "contacts": contacts}):
                later[r["contact_id"]].append(r["created_at"])
        intervals = [StatusInterval(r["agent_id"], r["status"], r["started_at"], r["ended_at"])
                     for r in self._reader.fetch(tenant_id, (
                         "SELECT agent_id, status, started_at, ended_at FROM "
                         "ap_status_intervals WHERE tenant_id = %(t)s AND ended_at > %(start)s "
                         f"AND started_at < %(end)s{mine}"), params)]
        for r in self._reader.fetch(tenant_id, (
                "SELECT id AS agent_id, status, status_since FROM ap_agents WHERE "
                "tenant_id = %(t)s AND status_since < %(end)s"
                + (" AND id = %(agent)s" if agent_id is not None else "")), params):
            intervals.append(StatusInterval(r["agent_id"], r["status"], r["status_since"], None))
        conversions = [(r["credited_to"], r["converted_at"]) for r in self._reader.fetch(
            tenant_id, ("SELECT credited_to, converted_at FROM ap_conversions WHERE "
                        "tenant_id = %(t)s AND credited_to IS NOT NULL AND converted_at >= "
                        "%(start)s AND converted_at < %(end)s"
                        + (" AND credited_to = %(agent)s" if agent_id is not None else "")),
            params)]
        reservations = [ReservationCounts(r["agent_id"], r["day"], r["offered"], r["accepted"],
                                          r["rejected"], r["timed_out"])
                        for r in self._reader.fetch(tenant_id, (
                            "SELECT * FROM ap_agent_days WHERE tenant_id = %(t)s AND day >= "
                            f"%(start_day)s AND day <= %(end_day)s{mine}"), params)]
        days = utc_days(start, end)
        return agent_days(handled=handled, later_task_times=later, intervals=intervals,
                          conversions=conversions, reservations=reservations, days=days,
                          now=now)

    # -- the what-if simulation's input -----------------------------------------------------

    def arrivals(self, tenant_id: UUID, start: datetime, end: datetime) -> list[Arrival]:
        rows = self._reader.fetch(tenant_id, (
            "SELECT * FROM cc_tasks WHERE tenant_id = %(t)s AND queued_at >= %(start)s AND "
            "queued_at < %(end)s ORDER BY queued_at, id"),
            {"t": tenant_id, "start": start, "end": end})
        return [_arrival(r) for r in rows]

    def staff(self, tenant_id: UUID, start: datetime, end: datetime) -> list[StaffMember]:
        """The tenant's agents with their shifts and the hours they were on duty in
        [start, end): in any status but offline and break."""
        params = {"t": tenant_id, "start": start, "end": end}
        duty: dict[UUID, list[tuple[datetime, datetime]]] = defaultdict(list)
        for r in self._reader.fetch(tenant_id, (
                "SELECT agent_id, started_at, ended_at FROM ap_status_intervals WHERE "
                "tenant_id = %(t)s AND status NOT IN ('offline', 'break') AND "
                "ended_at > %(start)s AND started_at < %(end)s "
                "UNION ALL SELECT id, status_since, NULL FROM ap_agents WHERE tenant_id = %(t)s "
                "AND status NOT IN ('offline', 'break') AND status_since < %(end)s "
                "ORDER BY 2"), params):
            duty[r["agent_id"]].append((r["started_at"], r["ended_at"] or end))
        rows = self._reader.fetch(tenant_id, "SELECT id, skills, capacity, created_at, "
                                  "timezone, shifts FROM cc_agents WHERE tenant_id = %(t)s "
                                  "ORDER BY created_at, id", params)
        return [StaffMember(r["id"], dict(r["skills"]), dict(r["capacity"]),
                            (r["created_at"].isoformat(), str(r["id"])),
                            tuple(_merged(duty.get(r["id"], []))), schedule_of(r))
                for r in rows]

    def queue_names(self, tenant_id: UUID) -> dict[UUID, tuple[str, str]]:
        rows = self._reader.fetch(tenant_id, "SELECT id, name, strategy FROM cc_queues WHERE "
                                  "tenant_id = %(t)s", {"t": tenant_id})
        return {r["id"]: (r["name"], r["strategy"]) for r in rows}


def _arrival(row: Any) -> Arrival:
    answered = row["accepted_at"]
    completed = row["ended_at"] if row["status"] == "completed" else None
    abandoned = row["wait_ended_at"] if answered is None and row["status"] == "canceled" \
        else None
    ring = (answered - row["reserved_at"]).total_seconds() \
        if answered is not None and row["reserved_at"] is not None else None
    handle = (completed - answered).total_seconds() \
        if completed is not None and answered is not None else None
    return Arrival(task_id=row["id"], queue_id=row["queue_id"], channel=row["channel"],
                   priority=row["priority"], required_skills=dict(row["required_skills"]),
                   queued_at=row["queued_at"], target_answer_seconds=row["target_answer_seconds"],
                   answered_at=answered, abandoned_at=abandoned, ring_seconds=ring,
                   handle_seconds=handle)


def _merged(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged

