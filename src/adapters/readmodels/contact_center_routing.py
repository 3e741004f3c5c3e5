"""RoutingQueries over the supervisor_overview read model: routing snapshots (one round trip),
the queue that receives a source kind, and the due work of the clock-driven processes (the
worker role reads it across tenants)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.eventstore.tenancy import SET_TENANT
from adapters.postgres.database import DictPool
from adapters.readmodels.contact_center import schedule_of
from adapters.readmodels.engine import ReadModelReader
from application.contact_center.ports import DueWork, RoutingSnapshot
from domain.contact_center import AgentState, QueueRouting, WaitingTask

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


class SqlRoutingQueries:
    def __init__(self, reader: ReadModelReader, app_pool: DictPool,
                 worker_pool: DictPool) -> None:
        self._reader, self._app_pool, self._worker = reader, app_pool, worker_pool

    def default_queue(self, tenant_id: UUID, kind: str) -> UUID | None:
        rows = self._reader.fetch(tenant_id, "SELECT id FROM cc_queues WHERE tenant_id = %(t)s "
                                  "AND default_for ? %(kind)s", {"t": tenant_id, "kind": kind})
        return rows[0]["id"] if rows else None

    def task_for_source(self, tenant_id: UUID, kind: str, ref: str) -> UUID | None:
        rows = self._reader.fetch(tenant_id, "SELECT id FROM cc_tasks WHERE tenant_id = %(t)s "
                                  "AND source_kind = %(kind)s AND source_ref = %(ref)s",
                                  {"t": tenant_id, "kind": kind, "ref": ref})
        return rows[0]["id"] if rows else None

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
                             schedule=schedule_of(r)) for r in agent_rows]
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
