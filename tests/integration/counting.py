"""A counting projection for exactly-once tests: every LeadScored event adds one to its
tenant's counter, so an event applied twice (or lost) changes the count."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, CheckConstraint, Column, Integer, MetaData, Table
from sqlalchemy.dialects import postgresql

from application.projections.base import Projection, ViewRows
from domain.leads import Lead

metadata = MetaData()
score_counts = Table(
    "score_counts", metadata,
    Column("tenant_id", postgresql.UUID(as_uuid=True), primary_key=True),
    Column("events", BigInteger, nullable=False),
    Column("last_score", Integer, CheckConstraint("last_score <> 13", name="no_thirteen")),
)
TABLES = {"score_counts": score_counts}


class ScoreCounts(Projection):
    """Counts one tenant's scores (tests share a database; other tenants are not counted)."""

    name = "score_counts_test"
    version = 1
    tables = ("score_counts",)

    def __init__(self, tenant_id: UUID) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.on(Lead.LeadScored, self._scored,
                lambda e: [("score_counts", (e.tenant_id,))] if e.tenant_id == tenant_id else [])

    def _scored(self, event: Any, rows: ViewRows) -> None:
        if event.tenant_id != self.tenant_id:
            return
        key = (event.tenant_id,)
        row = rows.get("score_counts", key) or {"tenant_id": event.tenant_id, "events": 0}
        rows.put("score_counts", key, {**row, "events": row["events"] + 1,
                                       "last_score": event.score})


def create_counting_schema(container: Any) -> str:
    """A private schema with the counting table, readable by the worker role, and its own
    tracking row (``ScoreCounts.name@<schema>``) at the start of the log."""
    from uuid import uuid4

    import psycopg
    from psycopg import sql

    from adapters.projections.manager import ProjectionManager
    from adapters.projections.tracking import reset_tracking

    schema = f"exactly_once_{uuid4().hex[:8]}"
    manager = ProjectionManager(container.database().owner_url, container.worker_pool(),
                                container.worker_mapper(), [ScoreCounts(uuid4())], tables=TABLES)
    with psycopg.connect(container.database().owner_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO frontdesk_worker").format(
            sql.Identifier(schema)))
        manager._create_tables(conn, ScoreCounts(uuid4()), schema)
        reset_tracking(conn, f"{ScoreCounts.name}@{schema}", 1)
    return schema


def run_forever(owner_url: str, schema: str, tenant_id: str) -> None:
    """Entry point of the subprocess that the crash test kills."""
    import threading

    from dependency_injector import providers

    from adapters.projections.runner import ProjectionRunner
    from entrypoints.container import Container
    from entrypoints.settings import Settings

    container = Container()
    container.settings.override(providers.Object(Settings(DATABASE_URL=owner_url)))
    container.database()
    runner = ProjectionRunner(ScoreCounts(UUID(tenant_id)), container.worker_pool(),
                              container.worker_mapper(),
                              schema=schema, tracking_name=f"{ScoreCounts.name}@{schema}",
                              batch_size=10, tables=TABLES)
    print("running", flush=True)
    runner.run(threading.Event(), threading.Event(), idle=0.05)


if __name__ == "__main__":
    import sys

    run_forever(sys.argv[1], sys.argv[2], sys.argv[3])
