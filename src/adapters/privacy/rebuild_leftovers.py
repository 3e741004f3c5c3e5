"""Scrub what an interrupted rebuild left behind once someone in it has been erased.

A rebuild fills copies of a projection's tables in schema ``frontdesk_rebuild`` with personal
fields decrypted, committing batch by batch so that it can resume. If it is killed and never
resumed, its copies keep the plaintext of every person it had reached, and a later erasure
cannot purge them: the projection purges a person when *it* reaches ContactErased, and this
copy no longer moves (nor does it reach a MessageBodiesDeleted, ADR 0086). So, at every
compactor run: for each rebuild that is not running (its session lock,
``manager.rebuild_lock``, is free) and has a ContactErased or a MessageBodiesDeleted after its
position, the copies are emptied (``TRUNCATE``: new files, no bytes of the old rows kept; a
``DELETE`` then ``VACUUM FULL`` for tables made before the worker could truncate them) and its
tracking row deleted, so the next ``frontdesk projections rebuild`` starts it over. A rebuild
that is running needs nothing: it reaches the erasure and purges the person itself before it
swaps.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql

from adapters.postgres.database import DictPool, fetch_value
from adapters.projections.manager import REBUILD_SCHEMA, REBUILD_SUFFIX, rebuild_lock
from domain.contacts import Contact
from domain.conversations import Conversation

log = logging.getLogger("frontdesk.privacy")


@dataclass(frozen=True, slots=True)
class Scrubbed:
    projection: str
    tables: tuple[str, ...]


def scrub_interrupted_rebuilds(pool: DictPool, tables: Mapping[str, Sequence[str]]
                               ) -> list[Scrubbed]:
    """``tables``: each projection's tables. Runs as the worker role."""
    erased = [get_topic(Contact.ContactErased), get_topic(Conversation.MessageBodiesDeleted)]
    scrubbed = []
    with pool.connection() as conn:
        rows = conn.execute("SELECT name, last_tx::text AS tx, last_id FROM projection_tracking "
                            "WHERE name LIKE %s", (f"%{REBUILD_SUFFIX}",)).fetchall()
    for row in rows:
        name = row["name"].removesuffix(REBUILD_SUFFIX)
        if name not in tables:
            continue
        done = _scrub(pool, name, row["name"], tables[name], erased)
        if done is not None:
            scrubbed.append(done)
    return scrubbed


def _scrub(pool: DictPool, name: str, build_name: str, tables: Sequence[str],
           erased: list[str]) -> Scrubbed | None:
    rewrite: list[str] = []
    with pool.connection() as conn, conn.transaction():
        if not fetch_value(conn, "SELECT pg_try_advisory_xact_lock(hashtext(%s))",
                           (rebuild_lock(name),)):
            return None  # running: it purges the person itself when it reaches the erasure
        tracking = conn.execute("SELECT last_tx::text AS tx, last_id FROM projection_tracking "
                                "WHERE name = %s FOR UPDATE", (build_name,)).fetchone()
        if tracking is None:
            return None
        if not fetch_value(conn, "SELECT EXISTS (SELECT 1 FROM events WHERE topic = ANY(%s) AND "
                                 "(tx_id, notification_id) > (%s::xid8, %s))",
                           (erased, tracking["tx"], tracking["last_id"])):
            return None  # nobody it holds was erased after it stopped
        present = [t for t in tables if fetch_value(
            conn, "SELECT to_regclass(%s) IS NOT NULL", (f"{REBUILD_SCHEMA}.{t}",))]
        for table in present:
            target = sql.Identifier(REBUILD_SCHEMA, table)
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("TRUNCATE {}").format(target))
            except psycopg.errors.InsufficientPrivilege:
                conn.execute(sql.SQL("DELETE FROM {}").format(target))
                rewrite.append(table)
        conn.execute("DELETE FROM projection_tracking WHERE name = %s", (build_name,))
    for table in rewrite:
        _rewrite(pool, table)
    log.warning("an interrupted rebuild of %s held people erased since; its copies in %s were "
                "emptied: `frontdesk projections rebuild %s` starts it over",
                name, REBUILD_SCHEMA, name)
    return Scrubbed(name, tuple(present))


def _rewrite(pool: DictPool, table: str) -> None:
    """The deleted rows' bytes stay in the pages until the table is rewritten."""
    with pool.connection() as conn:
        conn.autocommit = True
        try:
            conn.execute(sql.SQL("VACUUM FULL {}").format(sql.Identifier(REBUILD_SCHEMA, table)))
        except psycopg.errors.InsufficientPrivilege as error:  # before PostgreSQL 17
            log.warning("could not rewrite %s.%s after emptying it: %s", REBUILD_SCHEMA,
                        table, error)
        finally:
            conn.autocommit = False


def rebuild_tables(projections: Sequence[Any]) -> dict[str, list[str]]:
    """Each projection's tables, by its name."""
    return {p.name: list(p.tables) for p in projections}
