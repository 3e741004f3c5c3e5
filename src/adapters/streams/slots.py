"""How many event streams each tenant has open, counted across API processes.

Each process keeps its own counts in memory (exact for itself) and one row per tenant in the
shared, unlogged ``rate_counters`` table: key ``streams:<tenant>``, ``window_start`` = this
process's number, ``hits`` = its open streams, ``expires_at`` a lease it renews. A stream is
admitted under a transaction-scoped advisory lock of the tenant, against the sum of the
other processes' live rows plus this process's own count, so two processes cannot both take
the last slot. A process that dies stops counting when its rows expire (``ttl``); the
retention job deletes expired rows with the rate windows (ADR 0067).

Closing a stream does no I/O (it may happen in a finaliser): it lowers the count here and
marks the tenant for ``sync``, which the stream hub's thread runs.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from uuid import UUID

from adapters.postgres.database import DictPool

LOCK_CLASS = 67
"""The first key of the tenants' admission locks (``pg_advisory_xact_lock(int, int)``)."""
RETRY_AFTER = 10
"""Seconds a refused client is told to wait (``Retry-After``): streams are long-lived, a slot
frees when one closes."""

_UPSERT = ("INSERT INTO rate_counters AS c (key, window_start, hits, expires_at) "
           "SELECT k, %(me)s, n, now() + make_interval(secs => %(ttl)s) "
           "FROM unnest(%(keys)s::text[], %(ns)s::int[]) AS t(k, n) "
           "ON CONFLICT (key, window_start) DO UPDATE "
           "SET hits = EXCLUDED.hits, expires_at = EXCLUDED.expires_at")
_OTHERS = ("SELECT coalesce(sum(hits), 0)::int AS n FROM rate_counters "
           "WHERE key = %s AND window_start <> %s AND expires_at > now()")


def slot_key(tenant_id: UUID) -> str:
    return f"streams:{tenant_id}"


class Lease:
    """One admitted stream; ``release`` (idempotent, no I/O) gives its slot back."""

    __slots__ = ("_slots", "tenant_id")

    def __init__(self, slots: StreamSlots | None, tenant_id: UUID) -> None:
        self._slots, self.tenant_id = slots, tenant_id

    def release(self) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:
            slots.released(self.tenant_id)


class StreamSlots:
    def __init__(self, pool: DictPool, limit: int, *, ttl: float = 30.0) -> None:
        self._pool, self.limit, self._ttl = pool, limit, ttl
        self._me = secrets.randbits(62)  # this process's row of each tenant
        self._local: Counter[UUID] = Counter()
        self._dirty: set[UUID] = set()
        self._lock = threading.Lock()  # the counts
        self._writing = threading.Lock()  # this process's rows: one writer at a time
        self._renewed = 0.0

    def open_here(self, tenant_id: UUID) -> int:
        with self._lock:
            return self._local[tenant_id]

    def acquire(self, tenant_id: UUID) -> Lease | None:
        """A lease on one of the tenant's slots, or None when every slot is taken (blocking:
        one short transaction; call it off the event loop)."""
        key = slot_key(tenant_id)
        with self._writing:
            mine = self.open_here(tenant_id)
            if mine + 1 > self.limit:
                return None
            with self._pool.connection() as conn, conn.transaction():
                # Two-key form: its own space, apart from the runtime's claims.
                conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                             (LOCK_CLASS, key))
                row = conn.execute(_OTHERS, (key, self._me)).fetchone()
                others = int(row["n"]) if row is not None else 0
                if others + mine + 1 > self.limit:
                    return None
                conn.execute(_UPSERT, {"me": self._me, "ttl": self._ttl, "keys": [key],
                                       "ns": [mine + 1]})
            with self._lock:
                self._local[tenant_id] += 1
        return Lease(self, tenant_id)

    def released(self, tenant_id: UUID) -> None:
        with self._lock:
            self._local[tenant_id] -= 1
            if self._local[tenant_id] <= 0:
                del self._local[tenant_id]
            self._dirty.add(tenant_id)

    def sync(self) -> None:
        """Write this process's counts that changed since the last sync, and renew every
        lease once a third of ``ttl`` has passed (the stream hub's thread calls it)."""
        now = time.monotonic()
        with self._writing:
            with self._lock:
                due = bool(self._local) and now - self._renewed >= self._ttl / 3
                tenants = (set(self._local) | self._dirty) if due else set(self._dirty)
                self._dirty.clear()
                counts = {t: self._local.get(t, 0) for t in tenants}
            if not counts:
                return
            try:
                with self._pool.connection() as conn:
                    conn.execute(_UPSERT, {"me": self._me, "ttl": self._ttl,
                                           "keys": [slot_key(t) for t in counts],
                                           "ns": list(counts.values())})
            except BaseException:
                with self._lock:  # written at the next sync
                    self._dirty.update(counts)
                raise
            if due:
                self._renewed = now

    def forget(self) -> None:
        """Remove this process's rows (it stops serving streams)."""
        with self._writing, self._lock:
            tenants = set(self._local) | self._dirty
            self._local.clear()
            self._dirty.clear()
        if tenants:
            with self._pool.connection() as conn:
                conn.execute("DELETE FROM rate_counters WHERE key = ANY(%s) AND window_start = %s",
                             ([slot_key(t) for t in tenants], self._me))
