"""After an erasure (or a deletion of message bodies), rewrite the tables that held the data.

Projections delete the person's rows when they reach ContactErased, and the data key is
already destroyed. But PostgreSQL keeps a deleted row's bytes in the table and index pages
until they happen to be reused. So once every projection has passed an erasure, the compactor
rewrites (``VACUUM FULL``) the read-model tables and the write-side tables that held keys,
claims and stored answers. No copy of the person's data is then left in their files.
(WAL, backups and logs are outside this; see ADR 0040.) Deleted message bodies (retention,
ADR 0086) are blanked by the projections in place: the same rewrite follows them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql

from adapters.postgres.database import DictPool
from adapters.privacy.rebuild_leftovers import scrub_interrupted_rebuilds
from adapters.projections.reader import Position, read_after
from adapters.projections.tracking import advance_tracking, ensure_tracking, load_tracking
from domain.contacts import Contact
from domain.conversations import Conversation

log = logging.getLogger("frontdesk.privacy")
TRACKING = "privacy:compaction"
WRITE_SIDE = ("data_keys", "idempotency_keys", "claims")


@dataclass(frozen=True, slots=True)
class Compaction:
    erasures: int
    tables: tuple[str, ...]
    waiting: bool
    """True when an erasure is known but some projection has not purged it yet."""
    rebuilds_scrubbed: tuple[str, ...] = ()
    """Interrupted rebuilds whose copies were emptied (they held someone erased since)."""


class ErasureCompactor:
    def __init__(self, pool: DictPool, projections: Sequence[str],
                 read_model_tables: Sequence[str], *, lock_timeout: float = 5.0,
                 work_mem: str = "512MB",
                 rebuilds: Mapping[str, Sequence[str]] | None = None) -> None:
        """``rebuilds``: each projection's tables, to scrub interrupted rebuilds' copies."""
        self._pool = pool
        self._rebuilds = dict(rebuilds or {})
        self._lock_timeout, self._work_mem = lock_timeout, work_mem
        self._projections = list(projections)
        self._tables = tuple(read_model_tables) + WRITE_SIDE
        self._topics = [get_topic(Contact.ContactErased),
                        get_topic(Conversation.MessageBodiesDeleted)]

    def run_once(self) -> Compaction:
        scrubbed = tuple(s.projection for s in
                         scrub_interrupted_rebuilds(self._pool, self._rebuilds))
        compaction = self._compact()
        return Compaction(compaction.erasures, compaction.tables, compaction.waiting, scrubbed)

    def _compact(self) -> Compaction:
        with self._pool.connection() as conn:
            ensure_tracking(conn, TRACKING, 1)
            tracking = load_tracking(conn, TRACKING)
            assert tracking is not None
            rows = conn.execute("SELECT min(horizon)::text AS h FROM projection_tracking "
                                "WHERE name = ANY(%s)", (self._projections,)).fetchone()
            purged_below = int(rows["h"]) if rows and rows["h"] is not None else 0
            batch = read_after(conn, tracking.position, 1000, topics=self._topics)
            ready = [e for e in batch.events if e.position.tx < purged_below]
            waiting = len(ready) < len(batch.events)
            if not ready:
                return Compaction(0, (), waiting)
            compacted = self._rewrite(conn)
            if compacted is None:
                return Compaction(0, (), True)
            last: Position = ready[-1].position
            advance_tracking(conn, TRACKING, tracking.position, last, last.tx, len(ready))
        log.info("compacted %d tables after %d erasures", len(compacted), len(ready))
        return Compaction(len(ready), compacted, waiting)

    def _rewrite(self, conn: psycopg.Connection[Any]) -> tuple[str, ...] | None:
        """Rewrite every table; None when one was busy (try again at the next run).

        ``VACUUM FULL`` needs an exclusive lock: waiting for it would queue every reader of
        the table behind us, so we wait at most ``lock_timeout`` and come back later.
        Indexes are rebuilt with ``maintenance_work_mem`` (the HNSW graph must fit in it).
        """
        done = []
        conn.execute("SELECT set_config('lock_timeout', %s, false), "
                     "set_config('maintenance_work_mem', %s, false)",
                     (f"{int(self._lock_timeout * 1000)}ms", self._work_mem))
        try:
            for table in self._tables:
                try:
                    conn.execute(sql.SQL("VACUUM (FULL, ANALYZE) {}").format(
                        sql.Identifier(table)))
                    done.append(table)
                except psycopg.errors.LockNotAvailable:
                    log.info("%s is busy; its rewrite after an erasure is retried later", table)
                    return None
                except psycopg.errors.InsufficientPrivilege as error:
                    # before PostgreSQL 17 only the table owner may (ADR 0040)
                    log.warning("could not rewrite %s after an erasure: %s", table, error)
        finally:
            conn.execute("RESET lock_timeout")
            conn.execute("RESET maintenance_work_mem")
        return tuple(done)
