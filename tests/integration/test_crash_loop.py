"""A batch whose statement kills its backend does not take the database into a crash loop.

Killing a backend with SIGKILL is what a crash (the old pgvector's SIGILL) does to PostgreSQL: the
postmaster ends every other backend and reinitialises, for every tenant. The projection here is
killed each time it works on its batch, for a minute, on a PostgreSQL of its own (the restarts
would harm the other tests). ADR 0064.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from adapters.postgres.health import HealthChecks
from adapters.projections.manager import ProjectionManager
from adapters.projections.runner import ProjectionRunner
from tests.conftest import built_container
from tests.integration.counting import TABLES, ScoreCounts, create_counting_schema
from tests.integration.test_projections import counted, score_events
from tests.processes import private_postgres

pytestmark = pytest.mark.slow  # started first, while the other worker shares the rest

POISONED = "poisoned-projection"  # the application_name of the projection's connections
MINUTE = 60.0


def slow_inserts(owner_url: str, schema: str) -> None:
    """Writing the view takes half a second: long enough to be caught working."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(sql.SQL(
            "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$").format(
                sql.Identifier(schema, "slowly")))
        conn.execute(sql.SQL("CREATE TRIGGER slowly BEFORE INSERT ON {} FOR EACH ROW "
                             "EXECUTE FUNCTION {}()").format(
            sql.Identifier(schema, "score_counts"), sql.Identifier(schema, "slowly")))


def kill_it_whenever_it_works(owner_url: str, stop: threading.Event) -> list[float]:
    """SIGKILL the projection's backend each time it runs a statement; when it was done."""
    kills: list[float] = []
    while not stop.is_set():
        try:
            with psycopg.connect(owner_url, autocommit=True, connect_timeout=2) as conn:
                while not stop.is_set():
                    row = conn.execute("SELECT pid FROM pg_stat_activity WHERE "
                                       "application_name = %s AND state = 'active'",
                                       (POISONED,)).fetchone()
                    if row:
                        os.kill(row[0], signal.SIGKILL)
                        kills.append(time.monotonic())
                    time.sleep(0.02)
        except psycopg.OperationalError:  # the restart ended our connection too
            stop.wait(0.1)
    return kills


def test_a_batch_that_kills_its_backend_is_retried_a_few_times_a_minute_and_reported(
        tmp_path: Path) -> None:
    with private_postgres(tmp_path / "pg") as owner_url, built_container(owner_url) as container:
        schema = create_counting_schema(container)
        slow_inserts(owner_url, schema)
        tenant = uuid4()
        score_events(container, tenant, [10, 11])
        name = f"{ScoreCounts.name}@{schema}"
        reported = ScoreCounts(tenant)
        reported.name = name
        manager = ProjectionManager(owner_url, container.worker_pool(),
                                    container.worker_mapper(), [reported], tables=TABLES)
        pool: ConnectionPool[Any] = ConnectionPool(
            container.database().worker_url, min_size=1, max_size=2, open=True,
            kwargs={"row_factory": dict_row, "autocommit": True, "application_name": POISONED},
            check=ConnectionPool.check_connection)
        runner = ProjectionRunner(ScoreCounts(tenant), pool, container.worker_mapper(),
                                  schema=schema, tracking_name=name, batch_size=1,
                                  tables=TABLES)
        stop, wake, done = threading.Event(), threading.Event(), threading.Event()
        kills: list[float] = []
        thread = threading.Thread(target=runner.run, args=(stop, wake), kwargs={"idle": 0.05})
        killer = threading.Thread(
            target=lambda: kills.extend(kill_it_whenever_it_works(owner_url, done)))
        log = Path(tmp_path / "pg" / "log")
        logged_before = log.read_text(errors="replace")
        readiness = HealthChecks(container.app_pool(), manager, container.vendor_circuits())
        answers = []
        killer.start()
        thread.start()
        try:
            started = time.monotonic()
            while time.monotonic() - started < MINUTE:  # the API keeps answering meanwhile
                answers.append(readiness.readiness())
                time.sleep(1)
            status = manager.status()[0]
            applied = counted(container, schema, tenant)
        finally:
            done.set()
            killer.join(timeout=30)
            stop.set()
            wake.set()
            thread.join(timeout=30)
            pool.close()
        server_log = log.read_text(errors="replace")[len(logged_before):]

    crashes = len(re.findall(r"terminated by signal 9", server_log))
    restarts = len(re.findall(r"reinitializing", server_log))
    assert 3 <= len(kills) <= 8, f"{len(kills)} kills in a minute"  # a few, not one a second
    assert crashes == len(kills) and restarts == crashes, (crashes, restarts, len(kills))
    assert applied == (0, None)  # nothing applied, nothing skipped
    assert status.failing_since is not None and status.failures >= 1
    assert status.last_error.startswith("BackendTerminated after ")
    ready = [answer for answer in answers if answer.ready]
    assert len(ready) >= 0.8 * len(answers), f"{len(ready)} of {len(answers)} probes ready"
    last = answers[-1]
    assert last.degraded and last.checks["projections"]["failing"] == [name]
    assert last.checks["projections"]["lag"][name]["failing"]["error"].startswith(
        "BackendTerminated after ")
