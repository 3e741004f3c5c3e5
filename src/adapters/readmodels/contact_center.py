"""Queries over the supervisor_overview read model: agents, queues, tasks and the supervisor
overview (routing snapshots and due work: ``contact_center_routing``)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.readmodels.engine import ReadModelReader, decode_cursor, encode_cursor
from application.contact_center.metrics import SlaCounts
from application.contact_center.views import (
    AgentFilters,
    AgentView,
    Overview,
    QueueOverview,
    QueueView,
    TaskFilters,
    TaskView,
)
from application.ports import Page
from domain.contact_center import Schedule
from domain.contact_center.values import AgentStatus, Shift, meets

OPEN = ("created", "queued", "reserved", "accepted", "wrap_up")
def agent_view(row: Any) -> AgentView:
    return AgentView(id=row["id"], user_id=row["user_id"], name=row["name"],
                     skills=dict(row["skills"]), capacity=dict(row["capacity"]),
                     timezone=row["timezone"], shifts=list(row["shifts"]),
                     presence=row["presence"], presence_since=row["presence_since"],
                     version=row["version"], created_at=row["created_at"],
                     updated_at=row["updated_at"], status=row["status"],
                     status_since=row["status_since"], load=dict(row["load"]))


def queue_view(row: Any) -> QueueView:
    return QueueView(id=row["id"], name=row["name"], description=row["description"],
                     required_skills=dict(row["required_skills"]), strategy=row["strategy"],
                     target_answer_seconds=row["target_answer_seconds"],
                     target_percentage=row["target_percentage"],
                     max_hold_seconds=row["max_hold_seconds"],
                     escalation_queue_id=row["escalation_queue_id"],
                     reservation_timeout_seconds=row["reservation_timeout_seconds"],
                     default_for=list(row["default_for"]), version=row["version"],
                     created_at=row["created_at"], updated_at=row["updated_at"])


def task_view(row: Any) -> TaskView:
    return TaskView(
        id=row["id"], queue_id=row["queue_id"], status=row["status"], version=row["version"],
        channel=row["channel"], priority=row["priority"],
        required_skills=dict(row["required_skills"]), source_kind=row["source_kind"],
        source_ref=row["source_ref"], contact_id=row["contact_id"], lead_id=row["lead_id"],
        lead_stage=row["lead_stage"], title=row["title"], not_before=row["not_before"],
        queued_at=row["queued_at"], queue_entered_at=row["queue_entered_at"],
        reserved_for=row["reserved_for"], reservation_id=row["reservation_id"],
        reservation_expires_at=row["reservation_expires_at"], agent_id=row["agent_id"],
        accepted_at=row["accepted_at"], wrap_up_at=row["wrap_up_at"], ended_at=row["ended_at"],
        disposition=row["disposition"], csat=row["csat"], script_id=row["script_id"],
        script_revision=row["script_revision"], breaches=row["breaches"],
        escalations=row["escalations"], declined_by=[UUID(a) for a in row["declined_by"]],
        created_at=row["created_at"], updated_at=row["updated_at"])


def schedule_of(row: Any) -> Schedule:
    return Schedule(row["timezone"], tuple(Shift.parse(s) for s in row["shifts"]))


def _page(rows: list[Any], limit: int, make: Any) -> Page[Any]:
    items = [make(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items, encode_cursor(items[-1].created_at, items[-1].id) if more else None)


def _cursor_filter(alias: str, cursor: str | None, params: dict[str, Any]
                   ) -> list[sql.Composable]:
    if not cursor:
        return []
    params["at"], params["after"] = decode_cursor(cursor)
    return [sql.SQL("({}.created_at, {}.id) < (%(at)s, %(after)s)").format(
        sql.Identifier(alias), sql.Identifier(alias))]


class SqlContactCenterQueries:
    """ContactCenterQueries: agents, queues, tasks and the supervisor overview of a tenant."""

    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    # -- agents, queues, tasks --------------------------------------------------------------

    def agent(self, tenant_id: UUID, agent_id: UUID) -> AgentView | None:
        rows = self._reader.fetch(tenant_id, "SELECT * FROM cc_agents WHERE tenant_id = "
                                  "%(t)s AND id = %(id)s", {"t": tenant_id, "id": agent_id})
        return agent_view(rows[0]) if rows else None

    def agents(self, tenant_id: UUID, filters: AgentFilters, *, limit: int,
               cursor: str | None) -> Page[AgentView]:
        params: dict[str, Any] = {"t": tenant_id, "limit": limit + 1}
        where: list[sql.Composable] = [sql.SQL("a.tenant_id = %(t)s")]
        if filters.presence:
            where.append(sql.SQL("a.presence = %(presence)s"))
            params["presence"] = filters.presence
        if filters.skill:
            where.append(sql.SQL("a.skills ? %(skill)s"))
            params["skill"] = filters.skill.strip().lower()
        where += _cursor_filter("a", cursor, params)
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT * FROM cc_agents a WHERE {} ORDER BY a.created_at DESC, a.id DESC "
            "LIMIT %(limit)s").format(sql.SQL(" AND ").join(where)), params)
        return _page(rows, limit, agent_view)

    def queue(self, tenant_id: UUID, queue_id: UUID) -> QueueView | None:
        rows = self._reader.fetch(tenant_id, "SELECT * FROM cc_queues WHERE tenant_id = "
                                  "%(t)s AND id = %(id)s", {"t": tenant_id, "id": queue_id})
        return queue_view(rows[0]) if rows else None

    def queues(self, tenant_id: UUID, *, limit: int, cursor: str | None) -> Page[QueueView]:
        params: dict[str, Any] = {"t": tenant_id, "limit": limit + 1}
        where = [sql.SQL("q.tenant_id = %(t)s"), *_cursor_filter("q", cursor, params)]
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT * FROM cc_queues q WHERE {} ORDER BY q.created_at DESC, q.id DESC "
            "LIMIT %(limit)s").format(sql.SQL(" AND ").join(where)), params)
        return _page(rows, limit, queue_view)

    def task(self, tenant_id: UUID, task_id: UUID) -> TaskView | None:
        rows = self._reader.fetch(tenant_id, "SELECT * FROM cc_tasks WHERE tenant_id = "
                                  "%(t)s AND id = %(id)s", {"t": tenant_id, "id": task_id})
        return task_view(rows[0]) if rows else None

    def tasks(self, tenant_id: UUID, filters: TaskFilters, *, limit: int,
              cursor: str | None) -> Page[TaskView]:
        params: dict[str, Any] = {"t": tenant_id, "limit": limit + 1}
        where: list[sql.Composable] = [sql.SQL("k.tenant_id = %(t)s")]
        for column in ("status", "queue_id", "contact_id"):
            value = getattr(filters, column)
            if value is not None:
                where.append(sql.SQL("k.{} = {}").format(sql.Identifier(column),
                                                          sql.Placeholder(column)))
                params[column] = value
        if filters.agent_id is not None:
            where.append(sql.SQL("(k.reserved_for = %(agent)s OR k.agent_id = %(agent)s)"))
            params["agent"] = filters.agent_id
        where += _cursor_filter("k", cursor, params)
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT * FROM cc_tasks k WHERE {} ORDER BY k.created_at DESC, k.id DESC "
            "LIMIT %(limit)s").format(sql.SQL(" AND ").join(where)), params)
        return _page(rows, limit, task_view)

    # -- the supervisor overview ------------------------------------------------------------

    def overview(self, tenant_id: UUID, now: datetime) -> Overview:
        day_start = datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)
        params = {"t": tenant_id, "day": day_start, "now": now}
        queues = self._reader.fetch(tenant_id, "SELECT * FROM cc_queues WHERE tenant_id = "
                                    "%(t)s ORDER BY name, id", params)
        figures = {row["queue_id"]: row
                   for row in self._reader.fetch(tenant_id, QUEUE_FIGURES, params)}
        agents = self._reader.fetch(tenant_id, "SELECT skills, status FROM cc_agents WHERE "
                                    "tenant_id = %(t)s", params)
        statuses = {s.value: 0 for s in AgentStatus}
        for agent in agents:
            statuses[agent["status"]] += 1
        result = []
        for queue in queues:
            row = figures.get(queue["id"], _NO_TASKS)
            oldest = row["oldest"]
            counts = SlaCounts(answered=row["answered"], met=row["met"], missed=row["missed"],
                               abandoned=row["abandoned"])
            eligible = {s.value: 0 for s in AgentStatus}
            for agent in agents:
                if meets(agent["skills"], queue["required_skills"]):
                    eligible[agent["status"]] += 1
            result.append(QueueOverview(
                id=queue["id"], name=queue["name"], strategy=queue["strategy"],
                waiting=row["waiting"], scheduled=row["scheduled"], reserved=row["reserved"],
                in_progress=row["in_progress"], oldest_waiting_since=oldest,
                oldest_wait_seconds=(now - oldest).total_seconds() if oldest else None,
                target_answer_seconds=queue["target_answer_seconds"],
                target_percentage=queue["target_percentage"], answered_today=counts.answered,
                met_today=counts.met, missed_today=counts.missed,
                abandoned_today=counts.abandoned,
                breaches_today=int(queue["breaches"].get(day_start.date().isoformat(), 0)),
                sla_attainment_today=counts.attainment, agents_by_status=eligible))
        return Overview(at=now, day_start=day_start, queues=result, agents_by_status=statuses,
                        waiting=sum(q.waiting for q in result))


# Each queue's tasks counted by PostgreSQL: a long queue or a busy day's tasks no longer travel
# to Python on every look at the overview. The SLA columns are the rules of
# application.contact_center.metrics.sla_counts (ADR 0031), in SQL; an integration test holds
# the two to the same answers: answered today within the target is met, later is missed; a
# task canceled before it was answered is abandoned (missed if it had waited past the target);
# a task still unanswered past its target is missed already.
QUEUE_FIGURES = """
WITH t AS (
  SELECT queue_id, status, queued_at, accepted_at,
         make_interval(secs => target_answer_seconds) AS target,
         CASE WHEN accepted_at IS NULL AND status = 'canceled' THEN wait_ended_at END
           AS abandoned_at
  FROM cc_tasks
  WHERE tenant_id = %(t)s
    AND (status IN ('created', 'queued', 'reserved', 'accepted', 'wrap_up')
         OR wait_ended_at >= %(day)s)),
s AS (
  SELECT *,
         queued_at IS NOT NULL AND accepted_at BETWEEN %(day)s AND %(now)s AS answered,
         queued_at IS NOT NULL AND accepted_at IS NULL
           AND abandoned_at BETWEEN %(day)s AND %(now)s AS abandoned,
         queued_at IS NOT NULL AND accepted_at IS NULL AND abandoned_at IS NULL
           AND %(now)s - queued_at > target AS unanswered_past_target
  FROM t)
SELECT queue_id,
       count(*) FILTER (WHERE status = 'queued') AS waiting,
       count(*) FILTER (WHERE status = 'created') AS scheduled,
       count(*) FILTER (WHERE status = 'reserved') AS reserved,
       count(*) FILTER (WHERE status IN ('accepted', 'wrap_up')) AS in_progress,
       min(queued_at) FILTER (WHERE status = 'queued') AS oldest,
       count(*) FILTER (WHERE answered) AS answered,
       count(*) FILTER (WHERE answered AND accepted_at - queued_at <= target) AS met,
       count(*) FILTER (WHERE (answered AND accepted_at - queued_at > target)
                           OR (abandoned AND abandoned_at - queued_at > target)
                           OR unanswered_past_target) AS missed,
       count(*) FILTER (WHERE abandoned) AS abandoned
FROM s GROUP BY queue_id
"""
_NO_TASKS: dict[str, Any] = {"waiting": 0, "scheduled": 0, "reserved": 0, "in_progress": 0,
                             "oldest": None, "answered": 0, "met": 0, "missed": 0,
                             "abandoned": 0}


class SqlUserDirectory:
    """Users of a tenant (the identity context's table, read under the tenant's RLS)."""

    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def is_user(self, tenant_id: UUID, user_id: UUID) -> bool:
        return bool(self._reader.fetch(tenant_id, "SELECT 1 FROM users WHERE tenant_id = %(t)s "
                                       "AND id = %(id)s", {"t": tenant_id, "id": user_id}))
