"""The delivery queue in PostgreSQL (migration 0010), on the worker's pool (across tenants).

Positions are the log's (``TX:ID``: transaction id as ``xid8``, notification id). A delivery
heads its line when no earlier pending delivery of the same subscription and aggregate exists;
leasing takes such heads, locked (``SKIP LOCKED``: two dispatchers never lease one delivery),
and moves their due time past the lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from adapters.postgres.database import DictPool
from application.webhooks.catalog import EVENT_TYPES
from application.webhooks.ports import Delivery, Endpoint

ERROR_LIMIT = 500


def _split(position: str) -> tuple[str, int]:
    tx, _, nid = position.partition(":")
    return tx, int(nid)


_LEASE = """
WITH candidates AS (
    SELECT d.tenant_id, d.subscription_id, d.event_tx, d.event_id, d.next_attempt_at
    FROM webhook_deliveries d
    WHERE d.status = 'pending' AND d.next_attempt_at <= %(now)s
      AND NOT (d.subscription_id = ANY(%(opened)s::uuid[]))
      AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.tenant_id = d.tenant_id
                  AND w.subscription_id = d.subscription_id AND w.active)
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                      WHERE e.subscription_id = d.subscription_id
                        AND e.aggregate_id = d.aggregate_id AND e.status = 'pending'
                        AND e.tenant_id = d.tenant_id
                        AND (e.event_tx, e.event_id) < (d.event_tx, d.event_id))
    ORDER BY d.next_attempt_at
    LIMIT %(scan)s
    FOR UPDATE OF d SKIP LOCKED
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY subscription_id
                                 ORDER BY next_attempt_at, event_tx, event_id) AS n
    FROM candidates
), picked AS (
    SELECT * FROM ranked
    WHERE n <= CASE WHEN subscription_id = ANY(%(trial)s::uuid[]) THEN 1 ELSE %(per)s END
    ORDER BY next_attempt_at LIMIT %(limit)s
)
UPDATE webhook_deliveries d SET next_attempt_at = %(until)s
FROM picked p, webhook_endpoints w
WHERE d.tenant_id = p.tenant_id AND d.subscription_id = p.subscription_id
  AND d.event_tx = p.event_tx AND d.event_id = p.event_id
  AND w.tenant_id = d.tenant_id AND w.subscription_id = d.subscription_id
RETURNING d.tenant_id, d.subscription_id, d.event_tx::text AS tx, d.event_id,
          d.aggregate_id, d.aggregate_version, d.event_type, d.attempts, d.first_attempt_at,
          w.url
"""


class PostgresDeliveryQueue:
    def __init__(self, pool: DictPool) -> None:
        self._pool = pool

    def _execute(self, query: str, params: Any) -> int:
        with self._pool.connection() as conn:
            return conn.execute(query, params).rowcount

    # -- the enqueuer -------------------------------------------------------------------------

    def endpoints(self, tenant_id: UUID) -> list[Endpoint]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT subscription_id, event_types, since_tx::text AS tx, since_id "
                "FROM webhook_endpoints WHERE tenant_id = %s AND active",
                (tenant_id,)).fetchall()
        return [Endpoint(r["subscription_id"], frozenset(r["event_types"]),
                         (int(r["tx"]), r["since_id"])) for r in rows]

    def _apply(self, conn: Any, tenant_id: UUID, subscription_id: UUID, version: int,
               assignments: str, params: dict[str, Any]) -> bool:
        """Apply a subscription event's change unless a newer one was applied already."""
        row = conn.execute(
            f"UPDATE webhook_endpoints SET {assignments}, version = %(version)s "
            "WHERE tenant_id = %(t)s AND subscription_id = %(s)s AND version < %(version)s "
            "RETURNING subscription_id",
            {**params, "t": tenant_id, "s": subscription_id, "version": version}).fetchone()
        return row is not None

    def subscribed(self, tenant_id: UUID, subscription_id: UUID, version: int, position: str,
                   url: str, event_types: Sequence[str]) -> None:
        tx, nid = _split(position)
        self._execute(
            "INSERT INTO webhook_endpoints (tenant_id, subscription_id, url, event_types, "
            "active, since_tx, since_id, version) VALUES (%s, %s, %s, %s, true, %s::xid8, %s, "
            "%s) ON CONFLICT (tenant_id, subscription_id) DO NOTHING",
            (tenant_id, subscription_id, url, list(event_types), tx, nid, version))

    def disabled(self, tenant_id: UUID, subscription_id: UUID, version: int,
                 at: datetime) -> None:
        with self._pool.connection() as conn, conn.transaction():
            if self._apply(conn, tenant_id, subscription_id, version, "active = false", {}):
                conn.execute(
                    "UPDATE webhook_deliveries SET status = 'cancelled', finished_at = %s, "
                    "last_error = COALESCE(last_error || '; ', '') || 'subscription disabled' "
                    "WHERE tenant_id = %s AND subscription_id = %s AND status = 'pending'",
                    (at, tenant_id, subscription_id))

    def enabled(self, tenant_id: UUID, subscription_id: UUID, version: int,
                position: str) -> None:
        tx, nid = _split(position)
        with self._pool.connection() as conn, conn.transaction():
            self._apply(conn, tenant_id, subscription_id, version,
                        "active = true, since_tx = %(tx)s::xid8, since_id = %(nid)s",
                        {"tx": tx, "nid": nid})

    def removed(self, tenant_id: UUID, subscription_id: UUID, version: int) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("DELETE FROM webhook_deliveries WHERE tenant_id = %s "
                         "AND subscription_id = %s", (tenant_id, subscription_id))
            conn.execute("DELETE FROM webhook_endpoints WHERE tenant_id = %s "
                         "AND subscription_id = %s", (tenant_id, subscription_id))

    def replay(self, tenant_id: UUID, subscription_id: UUID, version: int, after: str,
               until: str, event_types: Sequence[str], at: datetime) -> int:
        after_tx, after_id = _split(after)
        until_tx, until_id = _split(until)
        types = [t for t in event_types if t in EVENT_TYPES]
        topics = [get_topic(EVENT_TYPES[t]) for t in types]
        with self._pool.connection() as conn, conn.transaction():
            if not self._apply(conn, tenant_id, subscription_id, version, "active = active",
                               {}):
                return 0
            return int(conn.execute("""
                INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_tx, event_id,
                    aggregate_id, aggregate_version, event_type, status, attempts, enqueued_at,
                    next_attempt_at)
                SELECT e.tenant_id, %(s)s, e.tx_id, e.notification_id, e.originator_id,
                       e.originator_version, w.type, 'pending', 0, %(at)s, %(at)s
                FROM events e JOIN unnest(%(topics)s::text[], %(types)s::text[])
                     AS w(topic, type) ON w.topic = e.topic
                WHERE e.tenant_id = %(t)s
                  AND (e.tx_id, e.notification_id) > (%(after_tx)s::xid8, %(after_id)s)
                  AND (e.tx_id, e.notification_id) < (%(until_tx)s::xid8, %(until_id)s)
                ON CONFLICT (tenant_id, subscription_id, event_tx, event_id) DO UPDATE
                SET status = 'pending', attempts = 0, enqueued_at = EXCLUDED.enqueued_at,
                    next_attempt_at = EXCLUDED.next_attempt_at, first_attempt_at = NULL,
                    finished_at = NULL
                WHERE webhook_deliveries.status <> 'pending'
                """, {"s": subscription_id, "t": tenant_id, "at": at, "topics": topics,
                      "types": types, "after_tx": after_tx, "after_id": after_id,
                      "until_tx": until_tx, "until_id": until_id}).rowcount)

    def enqueue(self, tenant_id: UUID, subscription_ids: Sequence[UUID], position: str,
                aggregate_id: UUID, aggregate_version: int, event_type: str,
                at: datetime) -> None:
        tx, nid = _split(position)
        self._execute(
            "INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_tx, event_id, "
            "aggregate_id, aggregate_version, event_type, status, attempts, enqueued_at, "
            "next_attempt_at) SELECT %(t)s, s, %(tx)s::xid8, %(nid)s, %(a)s, %(v)s, %(type)s, "
            "'pending', 0, %(at)s, %(at)s FROM unnest(%(subs)s::uuid[]) AS s "
            "ON CONFLICT (tenant_id, subscription_id, event_tx, event_id) DO NOTHING",
            {"t": tenant_id, "tx": tx, "nid": nid, "a": aggregate_id, "v": aggregate_version,
             "type": event_type, "at": at, "subs": list(subscription_ids)})

    # -- the dispatcher -----------------------------------------------------------------------

    def lease(self, now: datetime, until: datetime, *, limit: int, per_subscription: int,
              opened: set[UUID], trial: set[UUID]) -> list[Delivery]:
        with self._pool.connection() as conn:
            rows = conn.execute(_LEASE, {
                "now": now, "until": until, "limit": limit, "scan": limit * 8,
                "per": per_subscription, "opened": list(opened),
                "trial": list(trial)}).fetchall()
        return [Delivery(tenant_id=r["tenant_id"], subscription_id=r["subscription_id"],
                         position=f"{r['tx']}:{r['event_id']}", aggregate_id=r["aggregate_id"],
                         aggregate_version=r["aggregate_version"], event_type=r["event_type"],
                         url=r["url"], attempts=r["attempts"],
                         first_attempt_at=r["first_attempt_at"]) for r in rows]

    @staticmethod
    def _key(delivery: Delivery) -> dict[str, Any]:
        tx, nid = _split(delivery.position)
        return {"t": delivery.tenant_id, "s": delivery.subscription_id, "tx": tx, "nid": nid}

    _WHERE = ("WHERE tenant_id = %(t)s AND subscription_id = %(s)s AND event_tx = %(tx)s::xid8 "
              "AND event_id = %(nid)s AND status = 'pending'")

    def succeeded(self, delivery: Delivery, at: datetime, status_code: int) -> None:
        self._execute(
            "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, "
            "first_attempt_at = COALESCE(first_attempt_at, %(at)s), last_attempt_at = %(at)s, "
            "last_status_code = %(code)s, last_error = NULL, finished_at = %(at)s " + self._WHERE,
            {**self._key(delivery), "at": at, "code": status_code})

    def failed(self, delivery: Delivery, at: datetime, status_code: int | None, error: str,
               next_attempt: datetime | None) -> None:
        self._execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, "
            "first_attempt_at = COALESCE(first_attempt_at, %(at)s), last_attempt_at = %(at)s, "
            "last_status_code = %(code)s, last_error = %(error)s, "
            "status = CASE WHEN %(next)s::timestamptz IS NULL THEN 'failed' ELSE 'pending' END, "
            "next_attempt_at = COALESCE(%(next)s, next_attempt_at), "
            "finished_at = CASE WHEN %(next)s::timestamptz IS NULL THEN %(at)s END " + self._WHERE,
            {**self._key(delivery), "at": at, "code": status_code,
             "error": error[:ERROR_LIMIT], "next": next_attempt})

    def prune(self, before: datetime) -> int:
        return self._execute("DELETE FROM webhook_deliveries WHERE status <> 'pending' "
                             "AND finished_at < %s", (before,))
