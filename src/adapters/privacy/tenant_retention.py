"""Per-tenant retention in PostgreSQL (ADR 0086): the policy in ``tenants.settings ->
'retention'`` (read and written as the tenant, under RLS; every tenant's read by the worker),
the contacts without recent activity and the old message bodies still sealed under a key of
their own (read models and ``data_keys``, as the worker), and the reports
(``retention_reports``: written by the worker, read as the tenant)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from adapters.eventstore.tenancy import execute_as_tenant, fetch_as_tenant
from adapters.postgres.database import DictPool
from adapters.readmodels.engine import decode_cursor, encode_cursor
from application.conversations.body_deletion import OldMessageBodies
from application.ports import Page
from application.privacy import (
    BodiesDeletedByRetention,
    ErasedByRetention,
    InactiveContact,
    RetentionPolicy,
    RetentionReport,
)


def policy_of(raw: dict[str, Any] | None) -> RetentionPolicy:
    raw = raw or {}
    return RetentionPolicy(
        erase_inactive_contacts_months=raw.get("erase_inactive_contacts_months"),
        delete_message_bodies_months=raw.get("delete_message_bodies_months"))


def stored_policy(policy: RetentionPolicy) -> dict[str, Any]:
    return {"erase_inactive_contacts_months": policy.erase_inactive_contacts_months,
            "delete_message_bodies_months": policy.delete_message_bodies_months}


class PostgresRetentionPolicies:
    def __init__(self, pool: DictPool, worker_pool: DictPool) -> None:
        self._pool, self._worker_pool = pool, worker_pool

    def get(self, tenant_id: UUID) -> RetentionPolicy:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, "SELECT settings -> 'retention' AS r "
                                   "FROM tenants WHERE id = %s", (tenant_id,))
        return policy_of(rows[0]["r"] if rows else None)

    def save(self, tenant_id: UUID, policy: RetentionPolicy) -> None:
        with self._pool.connection() as conn:
            execute_as_tenant(conn, tenant_id, [(
                "UPDATE tenants SET settings = jsonb_set(settings, '{retention}', %s) "
                "WHERE id = %s", (Jsonb(stored_policy(policy)), tenant_id))])

    def every_tenant(self) -> dict[UUID, RetentionPolicy]:
        with self._worker_pool.connection() as conn:
            rows = conn.execute("SELECT id, settings -> 'retention' AS r FROM tenants"
                                ).fetchall()
        return {row["id"]: policy_of(row["r"]) for row in rows}


# A contact's last activity: its own events (the contacts view's updated_at), and the latest
# change of any of its leads, conversations (a message) and cases. Erased contacts have no
# row in ``contacts`` any more.
INACTIVE = """
SELECT c.id, a.last_activity_at FROM contacts c
CROSS JOIN LATERAL (SELECT greatest(
    c.updated_at,
    (SELECT max(l.last_activity_at) FROM lead_pipeline l
      WHERE l.tenant_id = c.tenant_id AND l.contact_id = c.id),
    (SELECT max(greatest(v.updated_at, v.last_message_at)) FROM conversations v
      WHERE v.tenant_id = c.tenant_id AND v.contact_id = c.id),
    (SELECT max(k.updated_at) FROM cases k
      WHERE k.tenant_id = c.tenant_id AND k.contact_id = c.id)) AS last_activity_at) a
WHERE c.tenant_id = %(tenant)s AND a.last_activity_at < %(cutoff)s
  AND (%(after_at)s::timestamptz IS NULL
       OR (a.last_activity_at, c.id) > (%(after_at)s::timestamptz, %(after_id)s::uuid))
ORDER BY a.last_activity_at, c.id
LIMIT %(limit)s"""


class PostgresInactiveContacts:
    def __init__(self, worker_pool: DictPool) -> None:
        self._pool = worker_pool

    def inactive_before(self, tenant_id: UUID, cutoff: datetime, *, limit: int,
                        after: InactiveContact | None = None) -> list[InactiveContact]:
        params = {"tenant": tenant_id, "cutoff": cutoff, "limit": limit,
                  "after_at": after.last_activity_at if after else None,
                  "after_id": after.contact_id if after else None}
        with self._pool.connection() as conn:
            rows = conn.execute(INACTIVE, params).fetchall()
        return [InactiveContact(row["id"], row["last_activity_at"]) for row in rows]


# Messages written before the cutoff whose body has a key of its own, not yet destroyed (a
# body written before per-message keys has none: out of reach, it goes with its contact); not
# those still in the outbox.
OLD_BODIES = """
SELECT m.conversation_id, array_agg(m.id ORDER BY m.sequence) AS message_ids
FROM conversation_messages m
JOIN data_keys k ON k.tenant_id = m.tenant_id AND k.subject_id = m.id
WHERE m.tenant_id = %(tenant)s AND m.at < %(cutoff)s AND m.delivery <> 'queued'
  AND k.wrapped_key IS NOT NULL
  AND (%(after)s::uuid IS NULL OR m.conversation_id > %(after)s::uuid)
GROUP BY m.conversation_id
ORDER BY m.conversation_id
LIMIT %(limit)s"""


class PostgresMessageBodiesToDelete:
    def __init__(self, worker_pool: DictPool) -> None:
        self._pool = worker_pool

    def before(self, tenant_id: UUID, cutoff: datetime, *, limit: int,
               after: UUID | None = None) -> list[OldMessageBodies]:
        with self._pool.connection() as conn:
            rows = conn.execute(OLD_BODIES, {"tenant": tenant_id, "cutoff": cutoff,
                                             "after": after, "limit": limit}).fetchall()
        return [OldMessageBodies(row["conversation_id"], tuple(row["message_ids"]))
                for row in rows]


COLUMNS = ("id, tenant_id, ran_at, dry_run, triggered_by, policy, inactive_before, contacts, "
           "bodies_before, conversations")


def report_of(row: dict[str, Any]) -> RetentionReport:
    return RetentionReport(
        id=row["id"], tenant_id=row["tenant_id"], ran_at=row["ran_at"],
        dry_run=row["dry_run"], policy=policy_of(row["policy"]),
        inactive_before=row["inactive_before"],
        contacts=tuple(ErasedByRetention(UUID(c["contact_id"]),
                                         datetime.fromisoformat(c["last_activity_at"]),
                                         c["outcome"]) for c in row["contacts"]),
        triggered_by=row["triggered_by"], bodies_before=row["bodies_before"],
        conversations=tuple(BodiesDeletedByRetention(UUID(c["conversation_id"]), c["bodies"],
                                                     c["outcome"])
                            for c in row["conversations"]))


class PostgresRetentionReports:
    def __init__(self, pool: DictPool, worker_pool: DictPool) -> None:
        self._pool, self._worker_pool = pool, worker_pool

    def add(self, report: RetentionReport) -> None:
        contacts = [{"contact_id": str(c.contact_id),
                     "last_activity_at": c.last_activity_at.isoformat(),
                     "outcome": c.outcome} for c in report.contacts]
        conversations = [{"conversation_id": str(c.conversation_id), "bodies": c.bodies,
                          "outcome": c.outcome} for c in report.conversations]
        with self._worker_pool.connection() as conn:
            conn.execute(
                "INSERT INTO retention_reports (tenant_id, id, ran_at, dry_run, triggered_by, "
                "policy, inactive_before, contacts, contacts_erased, failures, bodies_before, "
                "conversations, message_bodies_deleted) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (report.tenant_id, report.id, report.ran_at, report.dry_run,
                 report.triggered_by, Jsonb(stored_policy(report.policy)),
                 report.inactive_before, Jsonb(contacts), report.contacts_erased,
                 report.failures, report.bodies_before, Jsonb(conversations),
                 report.message_bodies_deleted))

    def page(self, tenant_id: UUID, *, limit: int,
             cursor: str | None) -> Page[RetentionReport]:
        after = ""
        params: list[Any] = [tenant_id]
        if cursor:
            ran_at, report_id = decode_cursor(cursor)
            after = " AND (ran_at, id) < (%s, %s)"
            params += [ran_at, report_id]
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id,
                                   f"SELECT {COLUMNS} FROM retention_reports "
                                   f"WHERE tenant_id = %s{after} ORDER BY ran_at DESC, id DESC "
                                   "LIMIT %s", (*params, limit + 1))
        items = [report_of(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].ran_at, items[-1].id) if more else None)

    def get(self, tenant_id: UUID, report_id: UUID) -> RetentionReport | None:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id,
                                   f"SELECT {COLUMNS} FROM retention_reports "
                                   "WHERE tenant_id = %s AND id = %s", (tenant_id, report_id))
        return report_of(rows[0]) if rows else None
