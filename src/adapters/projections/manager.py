"""Projection lifecycle: create tables, report status, rebuild beside the live view and swap.

A rebuild fills copies of the tables in schema ``frontdesk_rebuild`` (as the worker role, batch
by batch, resumable), then in one owner transaction that holds the live tracking row: catches up
the last events, moves the live tables out and the rebuilt ones in, and hands the rebuilt position
to the live row. Readers see the old view until that commit and the new one after; the live
runner, blocked on the tracking row, finds its position moved and carries on from the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.postgres.database import (
    WORKER_ROLE,
    DictPool,
    RoleNotGiven,
    bound_statements,
    fetch_value,
)
from adapters.postgres.rls import tenant_table_ddl
from adapters.projections.consumers import consumer_tracking_name
from adapters.projections.policies import policy_tracking_name
from adapters.projections.reader import Position
from adapters.projections.runner import ProjectionRunner, topics_of
from adapters.projections.tables import TABLES
from adapters.projections.tracking import load_tracking, reset_tracking
from application.consumers import LogConsumer
from application.policies import Policy
from application.projections.base import Projection

REBUILD_SCHEMA = "frontdesk_rebuild"
RETIRED_SCHEMA = "frontdesk_retired"
REBUILD_SUFFIX = "@rebuild"


def rebuild_lock(name: str) -> str:
    """The advisory lock a rebuild of ``name`` holds while it runs (``hashtext`` of it)."""
    return f"projection-rebuild:{name}"


_DIALECT: Any = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    name: str
    code_version: int
    stored_version: int | None
    position: Position | None
    horizon: int
    events_processed: int
    pending: int
    updated_at: str | None
    failing_since: str | None = None
    """When the runner began failing to apply a batch (None: it is not failing)."""
    failures: int = 0
    last_error: str | None = None
    """The error's class and where: ``CheckViolation after 812:40``."""
    kind: str = "projection"
    """``projection``, or ``policy`` / ``consumer``: a reader with a position and no view."""

    @property
    def needs_rebuild(self) -> bool:
        return self.kind == "projection" and self.stored_version != self.code_version


@dataclass(frozen=True, slots=True)
class TrackedReader:
    """A policy or log consumer as status sees it: its tracking row and the topics it reads.
    It has no view, so nothing to rebuild; it creates its row when it first runs. (Not
    ``follow.Follower``, which is the retry loop's view of any runner.)"""
    tracking_name: str
    topics: list[str] | None
    kind: str


def followers_of(policies: Iterable[Policy], consumers: Iterable[LogConsumer]
                 ) -> list[TrackedReader]:
    return [*(TrackedReader(policy_tracking_name(p), [get_topic(c) for c in p.event_classes],
                       "policy") for p in policies),
            *(TrackedReader(consumer_tracking_name(c), [get_topic(e) for e in c.event_classes],
                       "consumer") for c in consumers)]


@dataclass(frozen=True, slots=True)
class RebuildReport:
    name: str
    events: int
    rows: dict[str, int]


class ProjectionManager:
    def __init__(self, owner_url: str | None, worker_pool: DictPool,
                 mapper: PersonalDataMapper, projections: Sequence[Projection],
                 tables: Mapping[str, Table] = TABLES,
                 followers: Sequence[TrackedReader] = (),
                 status_pool: DictPool | None = None) -> None:
        """``owner_url``: None in a process that may not change the schema (``serve``,
        ``worker``; ADR 0072): ``ensure`` and ``rebuild`` then refuse. ``followers``: the
        policies and consumers, whose positions and failures ``status`` reports after the
        projections'. ``status_pool``: what ``status`` reads with (the API's pool in the API:
        it counts pending events through an owner-run function, not as the worker)."""
        self._owner_url, self._pool, self._mapper = owner_url, worker_pool, mapper
        self._status_pool = status_pool
        self.projections = {p.name: p for p in projections}
        self.followers = list(followers)
        self._tables = tables

    def get(self, name: str) -> Projection:
        try:
            return self.projections[name]
        except KeyError:
            raise LookupError(f"no projection named {name!r}; known: "
                              f"{', '.join(sorted(self.projections))}") from None

    def _owner(self) -> psycopg.Connection[Any]:
        if self._owner_url is None:
            raise RoleNotGiven("creating or rebuilding a projection's tables needs the owner "
                               "(DATABASE_URL): run `frontdesk migrate` or `frontdesk "
                               "projections rebuild` with it")
        return psycopg.connect(self._owner_url, autocommit=True,
                               row_factory=psycopg.rows.dict_row)

    # -- tables -----------------------------------------------------------------------------

    def _create_tables(self, conn: psycopg.Connection[Any], projection: Projection,
                       schema: str, *, indexes: bool = True) -> None:
        target = MetaData(schema=schema)
        for name in projection.tables:
            table = self._tables[name].to_metadata(target, schema=schema)
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(
                sql.Identifier(schema, name)))
            conn.execute(str(CreateTable(table).compile(dialect=_DIALECT)))
            for column in table.columns:
                if column.info.get("personal"):
                    conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET STATISTICS 0")
                                 .format(sql.Identifier(schema, name),
                                         sql.Identifier(column.name)))
            worker = "SELECT, INSERT, UPDATE, DELETE"
            if schema == REBUILD_SCHEMA:
                worker += ", TRUNCATE"  # lets the compactor empty an interrupted rebuild's copy
            if conn.info.server_version >= 170000:
                worker += ", MAINTAIN"  # lets the erasure compactor rewrite the table
            for statement in tenant_table_ddl(name, schema=schema, app_privileges="SELECT",
                                              worker_privileges=worker):
                conn.execute(statement)
        if indexes:
            self._create_indexes(conn, projection, schema)

    def ensure(self) -> list[str]:
        """Create missing live tables and tracking rows; returns projections needing rebuild."""
        stale = []
        with self._owner() as conn:
            conn.execute("SELECT pg_advisory_lock(4242002)")
            try:
                for projection in self.projections.values():
                    with conn.transaction():
                        missing = [t for t in projection.tables if fetch_value(
                            conn, "SELECT to_regclass(%s) IS NULL", (f"public.{t}",))]
                        tracking = load_tracking(conn, projection.name)
                        if missing or tracking is None:
                            self._create_tables(conn, projection, "public")
                            reset_tracking(conn, projection.name, projection.version)
                        elif tracking.version != projection.version:
                            stale.append(projection.name)
            finally:
                conn.execute("SELECT pg_advisory_unlock(4242002)")
        return stale

    # -- status -----------------------------------------------------------------------------

    def status(self, timeout: float | None = None) -> list[ProjectionStatus]:
        """Every projection's position and lag, then every policy's and consumer's.

        With ``timeout`` (a probe: /health/ready, /metrics), waiting for a connection and each
        query are bounded by it, so an unreachable or overloaded database is reported within
        seconds, not after the pool's own wait (``PoolTimeout`` or ``QueryCanceled``)."""
        readers = [(p.name, topics_of(p), p.version, "projection")
                   for p in self.projections.values()]
        readers += [(f.tracking_name, f.topics, 1, f.kind) for f in self.followers]
        pool = self._status_pool if self._status_pool is not None else self._pool
        with pool.connection(timeout=timeout) as conn, conn.transaction():
            if timeout is not None:
                bound_statements(conn, timeout)
            return [self._status_of(conn, *reader) for reader in readers]

    @staticmethod
    def _status_of(conn: psycopg.Connection[Any], name: str, topics: list[str] | None,
                   code_version: int, kind: str) -> ProjectionStatus:
        row = conn.execute(
            "SELECT version, last_tx::text AS tx, last_id, horizon::text AS horizon, "
            "events_processed, updated_at::text AS updated_at, "
            "failing_since::text AS failing_since, failures, last_error "
            "FROM projection_tracking WHERE name = %s", (name,)).fetchone()
        position = Position(int(row["tx"]), row["last_id"]) if row else Position.start()
        pending = fetch_value(
            conn, "SELECT frontdesk_pending_events(%s::xid8, %s, %s::text[], 1000001)",
            (str(position.tx), position.id, topics))
        return ProjectionStatus(
            name=name, code_version=code_version,
            stored_version=row["version"] if row else None,
            position=position if row else None,
            horizon=int(row["horizon"]) if row else 0,
            events_processed=row["events_processed"] if row else 0,
            pending=pending, updated_at=row["updated_at"] if row else None,
            failing_since=row["failing_since"] if row else None,
            failures=row["failures"] if row else 0,
            last_error=row["last_error"] if row else None, kind=kind)

    def count_events(self, projection: Projection) -> int:
        with self._pool.connection() as conn:
            topics = topics_of(projection)
            return int(fetch_value(conn, "SELECT count(*) FROM events WHERE %s::text[] IS NULL "
                                   "OR topic = ANY(%s)", (topics, topics)))

    def _create_indexes(self, conn: psycopg.Connection[Any], projection: Projection,
                        schema: str) -> None:
        """Secondary indexes (the primary keys come with the tables). A rebuild creates them
        after the bulk of the events is applied: one index build is much cheaper than
        maintaining it row by row (an HNSW graph above all)."""
        target = MetaData(schema=schema)
        conn.execute("SELECT set_config('maintenance_work_mem', '512MB', false)")
        for name in projection.tables:
            table = self._tables[name].to_metadata(target, schema=schema)
            for index in table.indexes:
                conn.execute(str(CreateIndex(index, if_not_exists=True).compile(
                    dialect=_DIALECT)))

    # -- rebuild ----------------------------------------------------------------------------

    def rebuild(self, name: str, *, progress: Callable[[int], None] | None = None,
                resume: bool = True, batch_size: int | None = None) -> RebuildReport:
        """While it runs, the rebuild holds a session lock (``rebuild_lock``) on a connection of
        its own: the erasure compactor scrubs only the copies of rebuilds that do not hold it
        (interrupted ones), and a rebuild starting waits for a scrub under way."""
        self.get(name)
        with self._owner() as lock:
            lock.execute("SELECT pg_advisory_lock(hashtext(%s))", (rebuild_lock(name),))
            return self._rebuild(name, progress=progress, resume=resume,
                                 batch_size=batch_size)

    def _rebuild(self, name: str, *, progress: Callable[[int], None] | None,
                 resume: bool, batch_size: int | None) -> RebuildReport:
        projection = self.get(name)
        # A projection may ask for bigger rebuild batches (rows touched once per batch).
        size: int = batch_size or int(getattr(projection, "rebuild_batch_size", 10_000))
        build_name = f"{name}{REBUILD_SUFFIX}"
        with self._owner() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                sql.Identifier(REBUILD_SCHEMA)))
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(REBUILD_SCHEMA), sql.Identifier(WORKER_ROLE)))
            existing = load_tracking(conn, build_name)
            tables_exist = all(fetch_value(conn, "SELECT to_regclass(%s) IS NOT NULL",
                                           (f"{REBUILD_SCHEMA}.{t}",))
                               for t in projection.tables)
            if not (resume and existing is not None and existing.version == projection.version
                    and tables_exist):
                with conn.transaction():
                    self._create_tables(conn, projection, REBUILD_SCHEMA, indexes=False)
                    reset_tracking(conn, build_name, projection.version)

        builder = ProjectionRunner(projection, self._pool, self._mapper, schema=REBUILD_SCHEMA,
                                   tracking_name=build_name, batch_size=size,
                                   tables=self._tables)
        applied = builder.catch_up(progress=progress)
        with self._owner() as conn:
            self._create_indexes(conn, projection, REBUILD_SCHEMA)
            # Swapped in with statistics: a new table waits for autovacuum's next round (a
            # minute by default) to be analysed, and until then the planner guesses a few
            # rows per tenant, for every query of every API process (ADR 0057).
            for table in projection.tables:
                conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(REBUILD_SCHEMA, table)))

        with self._owner() as conn, conn.transaction():
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                sql.Identifier(RETIRED_SCHEMA)))
            load_tracking(conn, name, for_update=True)  # the live runner waits from here on
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(WORKER_ROLE)))
            builder.position = None
            applied += builder.catch_up(conn, progress=progress)
            conn.execute("RESET ROLE")
            for table in projection.tables:
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(
                    sql.Identifier(RETIRED_SCHEMA, table)))
                conn.execute(sql.SQL("ALTER TABLE IF EXISTS {} SET SCHEMA {}").format(
                    sql.Identifier("public", table), sql.Identifier(RETIRED_SCHEMA)))
                conn.execute(sql.SQL("ALTER TABLE {} SET SCHEMA public").format(
                    sql.Identifier(REBUILD_SCHEMA, table)))
                conn.execute(sql.SQL("DROP TABLE {}").format(
                    sql.Identifier(RETIRED_SCHEMA, table)))
            conn.execute(
                "INSERT INTO projection_tracking AS live (name, version, last_tx, last_id, "
                "horizon, events_processed, updated_at) SELECT %s, version, last_tx, last_id, "
                "horizon, events_processed, now() FROM projection_tracking WHERE name = %s "
                "ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, "
                "last_tx = EXCLUDED.last_tx, last_id = EXCLUDED.last_id, "
                "horizon = EXCLUDED.horizon, events_processed = EXCLUDED.events_processed, "
                "updated_at = now(), failing_since = NULL, failures = 0, last_error = NULL",
                (name, build_name))
            conn.execute("DELETE FROM projection_tracking WHERE name = %s", (build_name,))
            counts = {t: fetch_value(conn, sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier("public", t))) for t in projection.tables}
        return RebuildReport(name=name, events=applied, rows=counts)
