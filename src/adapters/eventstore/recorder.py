"""The tenant-aware recorder: the library's PostgreSQL recorder without its table lock.

``PostgresApplicationRecorder`` serialises every insert with ``LOCK TABLE ... EXCLUSIVE`` plus a
``NOTIFY`` so that readers tailing by notification id never skip a late commit. Here readers
tail in (transaction id, notification id) order below the oldest running transaction
(``EventReader``), which gives the same no-skip guarantee without serialising writers; so the
insert path drops the lock and the per-insert NOTIFY, and commits many units in one transaction
(``GroupCommitter``). See docs/adr/0002-commit-events-in-groups-read-them-in-transaction-order.md.
"""

from __future__ import annotations

import json
import threading
from base64 import b64encode
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

from adapters.crypto.keys import NewDataKey
from adapters.eventstore.mapper import TenantStoredEvent
from application.ports import (
    ClaimTaken,
    ConcurrentWrite,
    IdempotencyKeyTaken,
    IdempotencyRecord,
)
from domain.shared.aggregate import Claim


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
    claims_absent: list[HashedClaim] = field(default_factory=list)
    """Claims a speculative command assumed free without taking them: verified at commit."""
    forget: list[UUID] = field(default_factory=list)
    """Data subjects whose data key this commit destroys."""
    subjects: set[UUID] = field(default_factory=set)
    """The people this commit's aggregates are about (recorded with an idempotent answer)."""
    new_keys: list[NewDataKey] = field(default_factory=list)
    idempotency: IdempotencyRecord | None = None
    position: str | None = None
    error: BaseException | None = None
    finished: bool = False
    wake: threading.Event = field(default_factory=threading.Event)

    @property
    def empty(self) -> bool:
        return not (self.events or self.claims_taken or self.claims_released
                    or self.idempotency or self.forget)


class TenantEventRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, events_table_name="events")
        # Groups are committed one at a time (by the group committer's leader), so writes go
        # through one connection held for the purpose: always warm, never waiting on the pool.
        self._writer: psycopg.Connection[Any] | None = None
        self._recheck = False

    # -- reads (each one statement: the function sets the tenant for its own query) -----------

    def select_aggregate(self, tenant_id: UUID, originator_id: UUID,
                         lte: int | None = None) -> list[TenantStoredEvent]:
        # Binary results (bytea as is, not hex), and not the two ids the caller gave: parsing
        # is most of a 200-event read's client time.
        with self.datastore.pool.connection() as conn:
            rows = conn.cursor(binary=True, row_factory=tuple_row).execute(
                AGGREGATE_EVENTS, (tenant_id, originator_id, lte), prepare=True).fetchall()
        return [TenantStoredEvent(originator_id=originator_id, originator_version=version,
                                  topic=topic, state=state, tenant_id=tenant_id,
                                  subject_id=subject_id, occurred_at=occurred_at)
                for version, topic, state, subject_id, occurred_at in rows]

    def claim_owners(self, tenant_id: UUID, hashes: list[tuple[str, bytes]]
                     ) -> dict[tuple[str, bytes], UUID]:
        claims = json.dumps([{"scope": scope, "key": key.hex()} for scope, key in hashes])
        with self.datastore.pool.connection() as conn:
            rows = conn.execute("SELECT * FROM frontdesk_claim_owners(%s, %s::jsonb)",
                                (tenant_id, claims), prepare=True).fetchall()
        return {(r["scope"], bytes(r["key_hash"])): r["owner_id"] for r in rows}

    def find_idempotent(self, tenant_id: UUID, key: str) -> dict[str, Any] | None:
        with self.datastore.pool.connection() as conn:
            row: dict[str, Any] | None = conn.execute(
                "SELECT * FROM frontdesk_idempotent(%s, %s)", (tenant_id, key),
                prepare=True).fetchone()
        return row

    # -- writes -----------------------------------------------------------------------------

    def write_batch(self, units: list[CommitUnit]) -> None:
        """Commit units in one transaction, in one round trip. If any unit conflicts, the
        transaction rolls back and each unit is retried alone, so a conflict rejects only its
        own unit. Sets ``position`` or ``error`` on every unit."""
        try:
            position = self._write(self._writer_connection(), units)
        except psycopg.errors.UniqueViolation as violation:
            if len(units) > 1:
                for unit in units:
                    self.write_batch([unit])
                return
            units[0].error = self._conflict(units[0], violation)
            return
        except Exception as failure:  # connection lost, database down: nothing is written
            self._drop_writer()
            for unit in units:
                unit.error, unit.position = failure, None
            return
        for unit in units:
            unit.position = position

    def recheck_writer(self) -> None:
        """The database was unreachable (ADR 0073): the held writer connection may have been
        broken by a restart without knowing it yet. The next write checks it first (on the
        writing thread), so that the first write after an outage does not fail on it."""
        self._recheck = True

    def _writer_connection(self) -> psycopg.Connection[Any]:
        if self._recheck and self._writer is not None:
            self._recheck = False
            try:
                ConnectionPool.check_connection(self._writer)
            except psycopg.Error:
                self._writer.close()  # so that the pool discards it
                self._drop_writer()
        if self._writer is None or self._writer.closed:
            self._writer = self.datastore.pool.getconn()
        return self._writer

    def _drop_writer(self) -> None:
        if self._writer is not None:
            self.datastore.pool.putconn(self._writer)  # the pool discards a broken one
            self._writer = None

    def close(self) -> None:
        self._drop_writer()

    def _write(self, conn: psycopg.Connection[Any], units: list[CommitUnit]) -> str:
        """One ``frontdesk_append`` per unit. One unit is one statement (an autocommit
        transaction); several go in one pipeline segment, which PostgreSQL runs as one
        implicit transaction committed at its Sync: all or nothing, one WAL flush."""
        if len(units) == 1:
            row = conn.execute(APPEND, _append_params(units[0]), prepare=True).fetchone()
            assert row is not None
            return str(row["tx"])
        with conn.pipeline() as pipeline:
            cursor = conn.cursor()
            for unit in units:
                cursor.execute(APPEND, _append_params(unit), prepare=True)
            pipeline.sync()
            row = cursor.fetchone()
        assert row is not None
        return str(row["tx"])

    def _conflict(self, unit: CommitUnit, violation: psycopg.errors.UniqueViolation
                  ) -> BaseException:
        """Name what a lone unit collided with (it wrote nothing)."""
        table = violation.diag.table_name
        if table == "idempotency_keys":
            return IdempotencyKeyTaken()
        if table == "data_keys":  # two commits created a key for one subject: retry
            return ClaimTaken(Claim("data_key", str(unit.new_keys[0].subject_id)))
        if table == "claims":
            asked = unit.claims_taken + unit.claims_absent
            owners = self.claim_owners(unit.tenant_id, [(c.claim.scope, c.key_hash)
                                                        for c in asked])
            culprit = next((c.claim for c in asked
                            if owners.get((c.claim.scope, c.key_hash)) not in (None, c.owner_id)),
                           asked[0].claim)
            return ClaimTaken(culprit)
        return ConcurrentWrite(str(violation.diag.message_detail or ""))


AGGREGATE_EVENTS = ("SELECT originator_version, topic, state, subject_id, occurred_at "
                    "FROM frontdesk_aggregate_events(%s, %s, %s)")
APPEND = "SELECT frontdesk_append(%s, %s::jsonb) AS tx"


def _append_params(unit: CommitUnit) -> tuple[UUID, str]:
    """The unit as one JSON document (bytes as base64 or hex, decoded by the function)."""
    document: dict[str, Any] = {}
    if unit.events:
        document["events"] = [
            {"id": str(e.originator_id), "version": e.originator_version, "topic": e.topic,
             "state": b64encode(e.state).decode(),
             "subject": str(e.subject_id) if e.subject_id else None,
             "at": e.occurred_at.isoformat()} for e in unit.events]
    if unit.claims_released:
        document["release"] = [{"scope": c.claim.scope, "key": c.key_hash.hex(),
                                "owner": str(c.owner_id)} for c in unit.claims_released]
    if unit.claims_taken:
        document["claim"] = [{"scope": c.claim.scope, "key": c.key_hash.hex(),
                              "owner": str(c.owner_id)} for c in unit.claims_taken]
    if unit.claims_absent:
        document["absent"] = [{"scope": c.claim.scope, "key": c.key_hash.hex()}
                              for c in unit.claims_absent]
    if unit.new_keys:
        document["keys"] = [{"subject": str(k.subject_id), "kek": k.kek_id,
                             "wrapped": b64encode(k.wrapped_key).decode()}
                            for k in unit.new_keys]
    if unit.idempotency is not None:
        record = unit.idempotency
        document["idempotency"] = {"key": record.key, "fingerprint": record.fingerprint,
                                   "status": record.response.status,
                                   "body": b64encode(record.response.body).decode(),
                                   "headers": dict(record.response.headers)}
        document["subjects"] = sorted(str(s) for s in unit.subjects)
    if unit.forget:
        document["forget"] = [str(s) for s in unit.forget]
    return unit.tenant_id, json.dumps(document, separators=(",", ":"))
