"""Queries over the supervisor_overview read model: agents, queues, tasks, the supervisor
overview, routing snapshots, and the due work of the clock-driven processes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.eventstore.tenancy import SET_TENANT
from adapters.postgres.database import DictPool
from adapters.readmodels.engine import ReadModelReader, decode_cursor, encode_cursor
from application.contact_center.metrics import WaitFacts, sla_counts
from application.contact_center.ports import DueWork, RoutingSnapshot
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
from domain.contact_center import AgentState, QueueRouting, Schedule, WaitingTask
from domain.contact_center.values import AgentStatus, Shift, meets

OPEN = ("created", "queued", "reserved", "accepted", "wrap_up")
_SNAPSHOT_AGENTS = ("SELECT id, presence, skills, capacity, load, idle_since, created_at, "
                    "timezone, shifts FROM cc_agents WHERE tenant_id = %(t)s")
_SNAPSHOT_QUEUES = "SELECT id, strategy, last_agent_id FROM cc_queues WHERE tenant_id = %(t)s"
_SNAPSHOT_TASKS = (
    "SELECT id, queue_id, channel, priority, queued_at, required_skills, declined_by FROM ("
    "SELECT k.*, row_number() OVER (PARTITION BY k.queue_id ORDER BY k.priority DESC, "
    "k.queued_at, k.id) AS n FROM cc_tasks k WHERE k.tenant_id = %(t)s AND k.status = 'queued'"
    ") w WHERE n <= %(k)s AND EXISTS (SELECT 1 FROM cc_agents a, jsonb_each_text(a.capacity) c "
    "WHERE a.tenant_id = %(t)s AND a.presence = 'available' "
    "AND c.value::int > coalesce((a.load ->> c.key)::int, 0))")


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


def _schedule(row: Any) -> Schedule:
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
    """ContactCenterQueries (tenant-scoped, app role) and RoutingQueries (the worker role reads
    due work across tenants)."""

    def __init__(self, reader: ReadModelReader, worker_pool: DictPool,
                 app_pool: DictPool) -> None:
        self._reader, self._worker, self._app_pool = reader, worker_pool, app_pool

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

    def default_queue(self, tenant_id: UUID, kind: str) -> UUID | None:
        rows = self._reader.fetch(tenant_id, "SELECT id FROM cc_queues WHERE tenant_id = %(t)s "
                                  "AND default_for ? %(kind)s", {"t": tenant_id, "kind": kind})
        return rows[0]["id"] if rows else None

    # -- the supervisor overview ------------------------------------------------------------

    def overview(self, tenant_id: UUID, now: datetime) -> Overview:
        day_start = datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)
        params = {"t": tenant_id, "day": day_start}
        queues = self._reader.fetch(tenant_id, "SELECT * FROM cc_queues WHERE tenant_id = "
                                    "%(t)s ORDER BY name, id", params)
        tasks = self._reader.fetch(tenant_id, (
            "SELECT queue_id, status, queued_at, accepted_at, wait_ended_at, "
            "target_answer_seconds FROM cc_tasks WHERE tenant_id = %(t)s AND (status IN "
            "('created', 'queued', 'reserved', 'accepted', 'wrap_up') "
            "OR wait_ended_at >= %(day)s)"), params)
        agents = self._reader.fetch(tenant_id, "SELECT skills, status FROM cc_agents WHERE "
                                    "tenant_id = %(t)s", params)
        by_queue: dict[UUID, list[Any]] = {}
        for task in tasks:
            by_queue.setdefault(task["queue_id"], []).append(task)
        statuses = {s.value: 0 for s in AgentStatus}
        for agent in agents:
            statuses[agent["status"]] += 1
        result = []
        for queue in queues:
            mine = by_queue.get(queue["id"], [])
            status = Counter(t["status"] for t in mine)
            waiting = [t["queued_at"] for t in mine if t["status"] == "queued"]
            oldest = min(waiting, default=None)
            counts = sla_counts(
                (_wait_facts(t) for t in mine if t["queued_at"] is not None), day_start, now)
            eligible = {s.value: 0 for s in AgentStatus}
            for agent in agents:
                if meets(agent["skills"], queue["required_skills"]):
                    eligible[agent["status"]] += 1
            result.append(QueueOverview(
                id=queue["id"], name=queue["name"], strategy=queue["strategy"],
                waiting=status["queued"], scheduled=status["created"],
                reserved=status["reserved"], in_progress=status["accepted"] + status["wrap_up"],
                oldest_waiting_since=oldest,
                oldest_wait_seconds=(now - oldest).total_seconds() if oldest else None,
                target_answer_seconds=queue["target_answer_seconds"],
                target_percentage=queue["target_percentage"], answered_today=counts.answered,
                met_today=counts.met, missed_today=counts.missed,
                abandoned_today=counts.abandoned,
                breaches_today=int(queue["breaches"].get(day_start.date().isoformat(), 0)),
                sla_attainment_today=counts.attainment, agents_by_status=eligible))
        return Overview(at=now, day_start=day_start, queues=result, agents_by_status=statuses,
                        waiting=sum(q.waiting for q in result))

    # -- routing (RoutingQueries) -----------------------------------------------------------

    def snapshot(self, tenant_id: UUID, *, per_queue: int) -> RoutingSnapshot:
        """One round trip: agents, queues, and the head of each queue's line, the last only
        when some available agent has a free slot."""
        params = {"t": tenant_id, "k": per_queue}
        with self._app_pool.connection() as conn:
            agent_rows, queue_rows, task_rows = fetch_many_as_tenant(conn, tenant_id, [
                (_SNAPSHOT_AGENTS, params), (_SNAPSHOT_QUEUES, params),
                (_SNAPSHOT_TASKS, params)])
        agents = [AgentState(id=r["id"], presence=r["presence"], skills=r["skills"],
                             capacity=r["capacity"], load=r["load"], idle_since=r["idle_since"],
                             rank=(r["created_at"].isoformat(), str(r["id"])),
                             schedule=_schedule(r)) for r in agent_rows]
        if not any(a.presence == "available" and any(a.free(ch) > 0 for ch in a.capacity)
                   for a in agents):
            return RoutingSnapshot([], [])  # nobody can take anything: nothing to route
        queues = {r["id"]: QueueRouting(r["id"], r["strategy"], r["last_agent_id"])
                  for r in queue_rows}
        tasks = [WaitingTask(id=r["id"], queue_id=r["queue_id"], channel=r["channel"],
                             priority=r["priority"], waiting_since=r["queued_at"],
                             required_skills=r["required_skills"],
                             declined_by=frozenset(UUID(a) for a in r["declined_by"]))
                 for r in task_rows]
        return RoutingSnapshot(agents, tasks, queues)

    def tenants_to_route(self) -> list[UUID]:
        with self._worker.connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT a.tenant_id FROM cc_agents a WHERE a.presence = 'available' "
                "AND EXISTS (SELECT 1 FROM cc_tasks k WHERE k.tenant_id = a.tenant_id "
                "AND k.status = 'queued')").fetchall()
        return [r["tenant_id"] for r in rows]

    def _due(self, condition: str, order: str, now: datetime, tenant_id: UUID | None,
             limit: int) -> list[DueWork]:
        tenant = " AND tenant_id = %(tenant)s" if tenant_id is not None else ""
        with self._worker.connection() as conn:
            rows = conn.execute(
                f"SELECT tenant_id, id, reservation_id FROM cc_tasks WHERE {condition}{tenant} "
                f"ORDER BY {order} LIMIT %(limit)s",
                {"now": now, "tenant": tenant_id, "limit": limit}).fetchall()
        return [DueWork(r["tenant_id"], r["id"], r["reservation_id"]) for r in rows]

    def expired_reservations(self, now: datetime, tenant_id: UUID | None,
                             limit: int) -> list[DueWork]:
        return self._due("status = 'reserved' AND reservation_expires_at <= %(now)s",
                         "reservation_expires_at", now, tenant_id, limit)

    def hold_breaches(self, now: datetime, tenant_id: UUID | None,
                      limit: int) -> list[DueWork]:
        return self._due("status = 'queued' AND NOT breached_here AND hold_deadline <= %(now)s",
                         "hold_deadline", now, tenant_id, limit)

    def due_tasks(self, now: datetime, tenant_id: UUID | None, limit: int) -> list[DueWork]:
        return self._due("status = 'created' AND not_before <= %(now)s", "not_before", now,
                         tenant_id, limit)


def fetch_many_as_tenant(conn: Any, tenant_id: UUID,
                         queries: list[tuple[str, dict[str, Any]]]) -> list[list[Any]]:
    """Several reads as one tenant in one round trip (one pipeline segment, one implicit
    transaction, so the tenant setting applies to each)."""
    with conn.pipeline() as pipeline:
        conn.cursor().execute(SET_TENANT, (str(tenant_id),))
        cursors = []
        for query, params in queries:
            cursor = conn.cursor()
            cursor.execute(query, params, prepare=True)
            cursors.append(cursor)
        pipeline.sync()
        return [cursor.fetchall() for cursor in cursors]


def _wait_facts(row: Any) -> WaitFacts:
    answered = row["accepted_at"]
    abandoned = row["wait_ended_at"] if answered is None and row["status"] == "canceled" \
        else None
    return WaitFacts(row["queued_at"], row["target_answer_seconds"], answered, abandoned)


class SqlUserDirectory:
    """Users of a tenant (the identity context's table, read under the tenant's RLS)."""

    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def is_user(self, tenant_id: UUID, user_id: UUID) -> bool:
        return bool(self._reader.fetch(tenant_id, "SELECT 1 FROM users WHERE tenant_id = %(t)s "
                                       "AND id = %(id)s", {"t": tenant_id, "id": user_id}))
