"""Retention: delete what Frontdesk keeps only for a while, in every tenant (ADR 0061).

- ``idempotency_keys``: a stored answer replays a retried write; after the retention period
  (24 hours by default, as Stripe does) a retry with the same key runs as a new request. The
  answers can quote personal data, so they are not kept for ever.
- ``auth_events``: logins (IPs, user agents, attempted emails) and changes of users and keys,
  the access part of the audit log: kept 400 days by default, or for ever with 0.
- ``rate_counters``: fixed windows (client IPs in their keys) past their end.

Deletes run in batches, each its own short transaction, as ``frontdesk_worker`` (RLS lets it
see every tenant's rows of these tables; it may delete nothing else of them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from psycopg import sql

from adapters.postgres.database import DictPool

log = logging.getLogger("frontdesk.privacy")


@dataclass(frozen=True, slots=True)
class Pruned:
    idempotency_keys: int
    auth_events: int
    rate_counters: int

    @property
    def total(self) -> int:
        return self.idempotency_keys + self.auth_events + self.rate_counters


class Retention:
    def __init__(self, pool: DictPool, *, idempotency_keys: timedelta,
                 auth_events: timedelta | None, batch: int = 5_000) -> None:
        """``auth_events`` None: keep them for ever."""
        self._pool, self._batch = pool, batch
        self.idempotency_keys, self.auth_events = idempotency_keys, auth_events

    def run_once(self) -> Pruned:
        pruned = Pruned(
            idempotency_keys=self._prune("idempotency_keys", "created_at", self.idempotency_keys),
            auth_events=self._prune("auth_events", "occurred_at", self.auth_events)
            if self.auth_events is not None else 0,
            rate_counters=self._prune("rate_counters", "expires_at", timedelta(0)))
        if pruned.total:
            log.info("retention removed %d stored answers, %d login entries, %d rate windows",
                     pruned.idempotency_keys, pruned.auth_events, pruned.rate_counters)
        return pruned

    def _prune(self, table: str, column: str, older_than: timedelta) -> int:
        statement = sql.SQL(
            "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} "
            "WHERE {column} < now() - %s LIMIT %s))").format(
                table=sql.Identifier(table), column=sql.Identifier(column))
        removed = 0
        while True:
            with self._pool.connection() as conn:
                deleted = conn.execute(statement, (older_than, self._batch)).rowcount
            removed += deleted
            if deleted < self._batch:
                return removed
