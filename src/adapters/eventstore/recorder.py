"""The tenant-aware recorder: the library's PostgreSQL recorder without its table lock.

``PostgresApplicationRecorder`` serialises every insert with ``LOCK TABLE ... EXCLUSIVE`` plus a
``NOTIFY`` so that readers tailing by notification id never skip a late commit. Here readers
tail in (transaction id, notification id) order below the oldest running transaction
(``EventReader``), which gives the same no-skip guarantee without serialising writers; so the
insert path drops the lock and the per-insert NOTIFY, and commits many units in one transaction
(``GroupCommitter``). See docs/adr/0002-commit-events-in-groups-read-them-in-transaction-order.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.types.json import Jsonb

from adapters.crypto.keys import NewDataKey
from adapters.eventstore.mapper import TenantStoredEvent
from adapters.eventstore.tenancy import tenant_transaction
from application.ports import (
    ClaimTaken,
    ConcurrentWrite,
    IdempotencyKeyTaken,
    IdempotencyRecord,
)
from domain.shared.aggregate import Claim

INSERT_EVENT = (
    "INSERT INTO events (tenant_id, originator_id, originator_version, topic, state, subject_id,"
    " occurred_at) VALUES (%s, %s, %s, %s, %s, %s, %s)")
INSERT_CLAIMS = (
    "INSERT INTO claims (tenant_id, scope, key_hash, owner_id) "
    "SELECT %s, s, k, o FROM unnest(%s::text[], %s::bytea[], %s::uuid[]) AS c(s, k, o) "
    "ON CONFLICT DO NOTHING RETURNING scope, key_hash")
DELETE_CLAIM = ("DELETE FROM claims WHERE tenant_id = %s AND scope = %s AND key_hash = %s "
                "AND owner_id = %s")
INSERT_KEY = ("INSERT INTO data_keys (tenant_id, subject_id, kek_id, wrapped_key) "
              "VALUES (%s, %s, %s, %s)")
INSERT_IDEMPOTENCY = ("INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body,"
                      " headers) VALUES (%s, %s, %s, %s, %s, %s)")


@dataclass(frozen=True, slots=True)
class HashedClaim:
    claim: Claim
    key_hash: bytes
    owner_id: UUID


@dataclass(eq=False)
class CommitUnit:
    """Everything one command writes, atomically: events, claim changes, new keys, idempotency."""

    tenant_id: UUID
    events: list[TenantStoredEvent]
    claims_taken: list[HashedClaim] = field(default_factory=list)
    claims_released: list[HashedClaim] = field(default_factory=list)
    new_keys: list[NewDataKey] = field(default_factory=list)
    idempotency: IdempotencyRecord | None = None
    position: str | None = None
    error: BaseException | None = None
    finished: bool = False

    @property
    def empty(self) -> bool:
        return not (self.events or self.claims_taken or self.claims_released
                    or self.idempotency)


class _Rejected(Exception):
    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class TenantEventRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, events_table_name="events")

    # -- reads ------------------------------------------------------------------------------

    def select_aggregate(self, tenant_id: UUID, originator_id: UUID,
                         lte: int | None = None) -> list[TenantStoredEvent]:
        query = ("SELECT originator_id, originator_version, topic, state, tenant_id, subject_id,"
                 " occurred_at FROM events WHERE originator_id = %s")
        params: list[Any] = [originator_id]
        if lte is not None:
            query += " AND originator_version <= %s"
            params.append(lte)
        with self.datastore.get_connection() as conn, \
                tenant_transaction(conn, tenant_id) as cursor:
            cursor.execute(query + " ORDER BY originator_version", params, prepare=True)
            rows = cursor.fetchall()
        return [TenantStoredEvent(originator_id=r["originator_id"],
                                  originator_version=r["originator_version"], topic=r["topic"],
                                  state=bytes(r["state"]), tenant_id=r["tenant_id"],
                                  subject_id=r["subject_id"], occurred_at=r["occurred_at"])
                for r in rows]

    def claim_owners(self, tenant_id: UUID, hashes: list[tuple[str, bytes]]
                     ) -> dict[tuple[str, bytes], UUID]:
        with self.datastore.get_connection() as conn, \
                tenant_transaction(conn, tenant_id) as cursor:
            cursor.execute(
                "SELECT scope, key_hash, owner_id FROM claims WHERE tenant_id = %s AND "
                "(scope, key_hash) IN (SELECT * FROM unnest(%s::text[], %s::bytea[]))",
                (tenant_id, [s for s, _ in hashes], [k for _, k in hashes]), prepare=True)
            rows = cursor.fetchall()
        return {(r["scope"], bytes(r["key_hash"])): r["owner_id"] for r in rows}

    def find_idempotent(self, tenant_id: UUID, key: str) -> dict[str, Any] | None:
        with self.datastore.get_connection() as conn, \
                tenant_transaction(conn, tenant_id) as cursor:
            cursor.execute(
                "SELECT fingerprint, status, body, headers, position::text AS position "
                "FROM idempotency_keys WHERE tenant_id = %s AND key = %s",
                (tenant_id, key), prepare=True)
            row: dict[str, Any] | None = cursor.fetchone()
        return row

    # -- writes -----------------------------------------------------------------------------

    def write_batch(self, units: list[CommitUnit]) -> None:
        """Commit units in one transaction. Each unit gets a savepoint when there are several,
        so one unit's conflict rejects that unit only. Sets ``position`` or ``error`` on each."""
        try:
            with self.datastore.get_connection() as conn:
                self._write(conn, units)
        except Exception as failure:  # connection lost, database down: nothing is known written
            for unit in units:
                if unit.error is None:
                    unit.error = failure
                unit.position = None

    def _write(self, conn: psycopg.Connection[Any], units: list[CommitUnit]) -> None:
        single = len(units) == 1
        position = None
        with conn.transaction():
            for unit in units:
                try:
                    if single:
                        self._write_unit(conn, unit)
                    else:
                        with conn.transaction():
                            self._write_unit(conn, unit)
                except _Rejected as rejected:
                    if single:
                        unit.error = rejected.error
                        raise
                    unit.error = rejected.error
            if any(u.error is None for u in units):
                row = conn.execute("SELECT pg_current_xact_id()::text AS tx").fetchone()
                assert row is not None
                position = row["tx"]
        for unit in units:
            if unit.error is None:
                unit.position = position

    def _write_unit(self, conn: psycopg.Connection[Any], unit: CommitUnit) -> None:
        tenant = unit.tenant_id
        failure: BaseException | None = None
        with conn.pipeline() as pipeline:
            cursor = conn.cursor()
            try:
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
                for held in unit.claims_released:
                    cursor.execute(DELETE_CLAIM, (tenant, held.claim.scope, held.key_hash,
                                                  held.owner_id))
                if unit.claims_taken:
                    cursor.execute(INSERT_CLAIMS, (
                        tenant, [c.claim.scope for c in unit.claims_taken],
                        [c.key_hash for c in unit.claims_taken],
                        [c.owner_id for c in unit.claims_taken]))
                    pipeline.sync()
                    won = {(r["scope"], bytes(r["key_hash"])) for r in cursor.fetchall()}
                    lost = [c for c in unit.claims_taken
                            if (c.claim.scope, c.key_hash) not in won]
                    if lost:
                        raise _Rejected(ClaimTaken(lost[0].claim))
                if unit.events:
                    cursor.executemany(INSERT_EVENT, [
                        (tenant, e.originator_id, e.originator_version, e.topic, e.state,
                         e.subject_id, e.occurred_at) for e in unit.events])
                if unit.new_keys:
                    cursor.executemany(INSERT_KEY, [(k.tenant_id, k.subject_id, k.kek_id,
                                                     k.wrapped_key) for k in unit.new_keys])
                if unit.idempotency is not None:
                    record = unit.idempotency
                    cursor.execute(INSERT_IDEMPOTENCY, (
                        tenant, record.key, record.fingerprint, record.response.status,
                        record.response.body, Jsonb(
                            dict(record.response.headers))))
                pipeline.sync()
            except psycopg.errors.UniqueViolation as violation:
                table = violation.diag.table_name
                if table == "idempotency_keys":
                    failure = IdempotencyKeyTaken()
                elif table == "data_keys":  # two commits created a key for one subject: retry
                    failure = ClaimTaken(Claim("data_key", str(unit.new_keys[0].subject_id)))
                else:
                    failure = ConcurrentWrite(str(violation.diag.message_detail or ""))
            except _Rejected as rejected:
                failure = rejected.error
        if failure is not None:
            raise _Rejected(failure)
