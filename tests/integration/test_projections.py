"""Projections: no event skipped under concurrent writers, exactly once across failures and a
killed process, rebuild parity and swap, as-of without touching the live view."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.utils import get_topic
from psycopg import sql

from adapters.projections.as_of import compute_as_of
from adapters.projections.collector import collector_paused
from adapters.projections.reader import Position, read_after, read_rows_after
from adapters.projections.runner import LARGE_BATCH, ProjectionRunner
from application.projections import LeadPipelineProjection
from domain.contacts import Contact
from domain.leads import Lead
from domain.shared import Email, Score, Slug
from tests.conftest import ROOT
from tests.conftest import status_when as reader_status_when
from tests.integration.counting import TABLES, ScoreCounts, create_counting_schema

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def save(container: Any, tenant: UUID, *aggregates: Any) -> str:
    uow = container.unit_of_work()(tenant)
    for aggregate in aggregates:
        uow.add(aggregate)
    return uow.commit()


def change(container: Any, tenant: UUID, lead_id: UUID, action: Any) -> str:
    """Load a lead in a fresh unit of work, act on it, commit."""
    uow = container.unit_of_work()(tenant)
    lead = uow.get(Lead, lead_id)
    action(lead)
    uow.add(lead)
    return uow.commit()


def new_lead(tenant: UUID, at: datetime = T0, email: str | None = None) -> tuple[Any, Any]:
    person = Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=at,
                              name="N", email=Email(email or f"{uuid4().hex[:10]}@example.com"),
                              phone=None)
    lead = Lead.capture(lead_id=uuid4(), tenant_id=tenant, actor="t", at=at,
                        contact_id=person.id, source=Slug("web"), campaign=None,
                        channel=Slug("web"), notes=None)
    return person, lead


# -- no skip ------------------------------------------------------------------------------------

def test_an_open_older_transaction_holds_the_reader_back_until_it_commits(container: Any) -> None:
    tenant = uuid4()
    app_url = container.database().app_url
    slow = psycopg.connect(app_url)
    slow.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
    slow.execute("INSERT INTO events (tenant_id, originator_id, originator_version, topic, state,"
                 " occurred_at) VALUES (%s, %s, 1, 'test:Slow', '\\x7b7d', now())",
                 (tenant, uuid4()))  # holds a lower transaction id, not committed yet
    fast_position = save(container, tenant, *new_lead(tenant))
    with container.worker_pool().connection() as conn:
        held = read_after(conn, Position.start(), 100, tenant_id=tenant)
        assert held.events == []  # the later commit is not visible past the open one
        assert held.horizon <= int(fast_position)
        held_rows = read_rows_after(conn, Position.start(), 100_000, topics=["test:Slow"])
        assert held_rows.rows == [] and held_rows.horizon <= int(fast_position)
        slow.commit()
        released = read_after(conn, Position.start(), 100, tenant_id=tenant)
        released_rows = read_rows_after(conn, Position.start(), 100_000, topics=["test:Slow"])
    assert [row[3] for row in released_rows.rows] == [released.events[0].stored.originator_id]
    slow.close()
    topics = [e.stored.topic for e in released.events]
    assert topics[0] == "test:Slow" and len(topics) == 3
    assert [e.position for e in released.events] == sorted(e.position for e in released.events)
    # The raw event has no domain class: take it back out of the session's log, or the
    # projections of every event (the audit log) would retry it for the rest of the session.
    with psycopg.connect(container.database().owner_url, autocommit=True) as owner:
        owner.execute("DELETE FROM events WHERE tenant_id = %s AND topic = 'test:Slow'",
                      (tenant,))


def test_the_runner_reads_the_rows_read_after_reads_and_decodes_them_alike(
        container: Any) -> None:
    tenant = uuid4()
    activity(container, tenant, 12)
    topics = [get_topic(c) for c in LeadPipelineProjection().event_classes]
    runner = ProjectionRunner(LeadPipelineProjection(), container.worker_pool(),
                              container.worker_mapper())
    mapper = container.worker_mapper()
    with container.worker_pool().connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one log for both
        position, rows_position, pages = Position.start(), Position.start(), 0
        while True:
            batch = read_after(conn, position, 997, topics=topics)
            raw = read_rows_after(conn, rows_position, 997, topics=topics)
            assert raw.horizon == batch.horizon
            assert [(Position(int(r[1]), r[2]), r[3], r[4], r[5], bytes(r[6]), r[7])
                    for r in raw.rows] == [
                (e.position, e.stored.originator_id, e.stored.originator_version,
                 e.stored.topic, bytes(e.stored.state), e.stored.subject_id)
                for e in batch.events]
            ours = [e for e in batch.events if e.stored.tenant_id == tenant]
            if ours:  # decoded from the plain rows exactly as from stored events
                decoded = runner.decode([r for r in raw.rows if r[3] in
                                         {e.stored.originator_id for e in ours}], conn)
                assert [vars(e) for e in decoded] == [
                    vars(mapper.to_domain_event(e.stored)) for e in ours]
            if not batch.events:
                assert raw.last is None
                break
            assert raw.last == batch.events[-1].position
            position, rows_position, pages = batch.events[-1].position, raw.last, pages + 1
    assert pages >= 1


def test_a_tailing_reader_misses_no_event_while_8_writers_append(container: Any) -> None:
    tenant = uuid4()
    per_writer, writers = 150, 8
    written: set[UUID] = set()
    last_commit = [0]
    lock = threading.Lock()
    done = threading.Event()

    def writer() -> None:
        for _ in range(per_writer):
            person = Contact.register(contact_id=uuid4(), tenant_id=tenant, actor="t", at=T0,
                                      name=None, email=Email(f"{uuid4().hex}@example.com"),
                                      phone=None)
            position = save(container, tenant, person)
            with lock:
                written.add(person.id)
                last_commit[0] = max(last_commit[0], int(position))

    seen: list[UUID] = []
    positions: list[Position] = []

    def tail() -> None:
        position = Position.start()
        with container.worker_pool().connection() as conn:
            while True:
                finished = done.is_set()
                batch = read_after(conn, position, 100, tenant_id=tenant)
                for event in batch.events:
                    seen.append(event.stored.originator_id)
                    positions.append(event.position)
                if batch.events:
                    position = batch.events[-1].position
                elif finished and batch.horizon > last_commit[0]:
                    # Empty below a horizon past every write: nothing is left. (An empty batch
                    # while any other transaction of the cluster holds the horizon back is not
                    # the end.)
                    return

    reader = threading.Thread(target=tail)
    reader.start()
    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join(timeout=60)
    assert len(written) == per_writer * writers
    assert len(seen) == len(set(seen)), "an event was read twice"
    assert set(seen) == written, f"missed {len(written - set(seen))} events"
    assert positions == sorted(positions)


# -- exactly once -------------------------------------------------------------------------------

@pytest.fixture
def counting_schema(container: Any) -> Any:
    """A private schema with the counting table and its own tracking row."""
    schema = create_counting_schema(container)
    yield schema
    with psycopg.connect(container.database().owner_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.execute("DELETE FROM projection_tracking WHERE name = %s",
                     (f"{ScoreCounts.name}@{schema}",))


def counted(container: Any, schema: str, tenant: UUID) -> tuple[int, int | None]:
    with container.worker_pool().connection() as conn:
        row = conn.execute(sql.SQL("SELECT events, last_score FROM {} WHERE tenant_id = %s")
                           .format(sql.Identifier(schema, "score_counts")), (tenant,)).fetchone()
    return (row["events"], row["last_score"]) if row else (0, None)


def score_events(container: Any, tenant: UUID, scores: list[int]) -> None:
    person, lead = new_lead(tenant)
    for score in scores:
        lead.rescore(actor="t", at=T0, score=Score(score), reasons=[])
    save(container, tenant, person, lead)


def test_a_failure_inside_the_view_transaction_applies_nothing_then_exactly_once(
        container: Any, counting_schema: str) -> None:
    tenant = uuid4()
    score_events(container, tenant, [10, 11, 12, 13, 14])  # 13 violates the view's CHECK
    runner = ProjectionRunner(ScoreCounts(tenant), container.worker_pool(),
                              container.worker_mapper(),
                              schema=counting_schema,
                              tracking_name=f"{ScoreCounts.name}@{counting_schema}",
                              batch_size=1, tables=TABLES)
    with pytest.raises(psycopg.errors.CheckViolation):
        runner.catch_up()
    assert counted(container, counting_schema, tenant)[0] == 3  # 10, 11, 12 committed
    restarted = ProjectionRunner(ScoreCounts(tenant), container.worker_pool(),
                                 container.worker_mapper(), schema=counting_schema,
                                 tracking_name=f"{ScoreCounts.name}@{counting_schema}",
                                 batch_size=1, tables=TABLES)
    with pytest.raises(psycopg.errors.CheckViolation):  # still refuses the same event
        restarted.catch_up()
    assert counted(container, counting_schema, tenant) == (3, 12)


def test_a_projection_that_cannot_apply_a_batch_says_so_and_resumes_once_it_can(
        container: Any, counting_schema: str) -> None:
    """A poison event stops the projection where it is (nothing skipped); its tracking row says
    so, with the error's class and since when, for status, readiness and metrics; once the
    cause is fixed the runner carries on by itself and the failure is cleared."""
    from adapters.postgres.health import HealthChecks
    from adapters.projections.manager import ProjectionManager

    tenant = uuid4()
    score_events(container, tenant, [10, 11, 12, 13, 14])  # 13 violates the view's CHECK
    name = f"{ScoreCounts.name}@{counting_schema}"
    reported = ScoreCounts(tenant)
    reported.name = name  # the manager reports it under its tracking row's name
    manager = ProjectionManager(container.database().owner_url, container.worker_pool(),
                                container.worker_mapper(), [reported], tables=TABLES)
    runner = ProjectionRunner(ScoreCounts(tenant), container.worker_pool(),
                              container.worker_mapper(), schema=counting_schema,
                              tracking_name=name, batch_size=1, tables=TABLES)
    stop, wake = threading.Event(), threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, wake), kwargs={"idle": 0.05})
    thread.start()

    status_when = partial(reader_status_when, manager)
    try:
        failing = status_when(lambda s: s.failures >= 2)
        assert failing.failing_since is not None
        assert failing.last_error.startswith("CheckViolation after ")
        assert counted(container, counting_schema, tenant) == (3, 12)  # stopped, not skipped
        assert status_when(lambda s: s.failures >= 3).failing_since == failing.failing_since
        readiness = HealthChecks(container.app_pool(), manager,
                                 container.vendor_circuits()).readiness()
        assert readiness.ready and readiness.degraded  # stale reads, not an outage
        assert readiness.checks["projections"]["failing"] == [name]
        reported_failure = readiness.checks["projections"]["lag"][name]["failing"]
        assert reported_failure["error"].startswith("CheckViolation after ")
        assert reported_failure["since"] == failing.failing_since

        with psycopg.connect(container.database().owner_url, autocommit=True) as owner:
            owner.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT no_thirteen").format(
                sql.Identifier(counting_schema, "score_counts")))
        recovered = status_when(lambda s: s.failing_since is None)
    finally:
        stop.set()
        wake.set()
        thread.join(timeout=30)
    assert (recovered.failures, recovered.last_error) == (0, None)
    assert counted(container, counting_schema, tenant) == (5, 14)
    readiness = HealthChecks(container.app_pool(), manager,
                             container.vendor_circuits()).readiness()
    assert not readiness.degraded and readiness.checks["projections"]["failing"] == []


def test_a_killed_worker_resumes_without_double_counting(container: Any,
                                                         counting_schema: str) -> None:
    tenant = uuid4()
    scores = [n % 100 for n in range(3000) if n % 100 != 13]
    score_events(container, tenant, scores)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.integration.counting",
               container.database().owner_url, counting_schema, str(tenant)]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while counted(container, counting_schema, tenant)[0] < 20:
        if time.monotonic() > deadline or worker.poll() is not None:
            worker.kill()
            output = worker.stdout.read() if worker.stdout else b""
            with container.worker_pool().connection() as conn:
                tracking = conn.execute("SELECT * FROM projection_tracking WHERE name = %s",
                                        (f"{ScoreCounts.name}@{counting_schema}",)).fetchone()
                horizon = conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text, "
                                       "(SELECT max(tx_id)::text FROM events) AS head").fetchone()
            pytest.fail(f"worker made no progress: {output[-2000:]!r} {tracking} {horizon}")
        time.sleep(0.002)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    interrupted = counted(container, counting_schema, tenant)[0]
    assert 0 < interrupted < len(scores), "kill the worker mid-stream"
    restarted = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)
    try:
        while counted(container, counting_schema, tenant)[0] < len(scores):
            assert time.monotonic() < deadline + 60 and restarted.poll() is None
            time.sleep(0.05)
        time.sleep(0.3)
        assert counted(container, counting_schema, tenant) == (len(scores), scores[-1])
    finally:
        restarted.send_signal(signal.SIGKILL)
        restarted.wait()


# -- rebuild and as-of --------------------------------------------------------------------------

def table_rows(container: Any, table: str, tenant: UUID) -> list[dict[str, Any]]:
    with container.worker_pool().connection() as conn:
        return conn.execute(sql.SQL("SELECT * FROM {} WHERE tenant_id = %s ORDER BY id").format(
            sql.Identifier(table)), (tenant,)).fetchall()


def wait_visible(container: Any, position: str) -> None:
    assert container.consistency().wait_for(position, ["lead_pipeline", "contacts"], 10)


def activity(container: Any, tenant: UUID, leads: int) -> str:
    position = "0"
    for n in range(leads):
        person, lead = new_lead(tenant, T0 + timedelta(minutes=n))
        if n % 3 == 0:
            lead.qualify(actor="t", at=T0 + timedelta(minutes=n, seconds=30), note=None)
        if n % 5 == 0:
            lead.lose(actor="t", at=T0 + timedelta(minutes=n, seconds=40), reason="no budget")
        position = save(container, tenant, person, lead)
    return position


def test_rebuild_produces_the_live_view_and_swaps_it_in(container: Any, runtime: Any,
                                                        owner_url: str) -> None:
    tenant = uuid4()
    wait_visible(container, activity(container, tenant, 30))
    live_leads = table_rows(container, "lead_pipeline", tenant)
    live_contacts = table_rows(container, "contacts", tenant)
    assert len(live_leads) == 30
    manager = container.projection_manager()
    report = manager.rebuild("lead_pipeline")
    manager.rebuild("contacts")
    assert report.rows["lead_pipeline"] >= 30
    assert table_rows(container, "lead_pipeline", tenant) == live_leads
    assert table_rows(container, "contacts", tenant) == live_contacts
    # Swapped in analysed: the planner has the new tables' column statistics at once.
    with psycopg.connect(owner_url) as conn:
        analysed = conn.execute("SELECT tablename FROM pg_stats WHERE schemaname = 'public' "
                                "AND tablename IN ('lead_pipeline', 'contacts') "
                                "AND attname = 'tenant_id'").fetchall()
    assert sorted(r[0] for r in analysed) == ["contacts", "lead_pipeline"]
    # The live runner carries on from the rebuilt position.
    wait_visible(container, activity(container, tenant, 3))
    assert len(table_rows(container, "lead_pipeline", tenant)) == 33


def test_rebuild_under_concurrent_writes_loses_nothing(container: Any, runtime: Any) -> None:
    tenant = uuid4()
    activity(container, tenant, 20)
    stop = threading.Event()
    last = ["0"]

    def keep_writing() -> None:
        while not stop.is_set():
            last[0] = activity(container, tenant, 1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        container.projection_manager().rebuild("lead_pipeline")
    finally:
        stop.set()
        writer.join()
    wait_visible(container, last[0])
    expected = compute_as_of(LeadPipelineProjection(), datetime.now(UTC) + timedelta(days=3650),
                             container.worker_pool(), container.worker_mapper(),
                             tenant_id=tenant).rows("lead_pipeline")
    live = table_rows(container, "lead_pipeline", tenant)
    assert len(live) == len(expected) > 20
    by_id = {row["id"]: row for row in expected}
    for row in live:
        assert row["status"] == by_id[row["id"]]["status"]
        assert row["version"] == by_id[row["id"]]["version"]


def test_as_of_answers_for_a_past_moment_without_touching_the_live_view(
        container: Any, runtime: Any) -> None:
    tenant = uuid4()
    day = timedelta(days=1)
    person, lead = new_lead(tenant, T0)
    save(container, tenant, person, lead)
    change(container, tenant, lead.id, lambda loaded: loaded.record_contact(
        actor="t", at=T0 + day, channel=Slug("phone"), outcome=Slug("reached"), note=None))
    change(container, tenant, lead.id,
           lambda loaded: loaded.qualify(actor="t", at=T0 + 2 * day, note=None))
    other_person, other = new_lead(tenant, T0 + 2 * day)
    position = save(container, tenant, other_person, other)
    wait_visible(container, position)
    live_before = table_rows(container, "lead_pipeline", tenant)

    def statuses(at: datetime) -> dict[UUID, str]:
        rows = compute_as_of(LeadPipelineProjection(), at, container.worker_pool(),
                             container.worker_mapper(), tenant_id=tenant)
        return {r["id"]: r["status"] for r in rows.rows("lead_pipeline")}

    assert statuses(T0 - timedelta(seconds=1)) == {}
    assert statuses(T0 + timedelta(hours=12)) == {lead.id: "new"}
    assert statuses(T0 + day + timedelta(hours=12)) == {lead.id: "contacted"}
    assert statuses(T0 + 3 * day) == {lead.id: "qualified", other.id: "new"}
    assert table_rows(container, "lead_pipeline", tenant) == live_before


# -- large batches ------------------------------------------------------------------------------

class CollectorWatch(ScoreCounts):
    """Records whether the cyclic garbage collector ran enabled while each event was applied;
    fails on the score 13 like its parent's CHECK, but in the handler."""

    def __init__(self, tenant_id: UUID) -> None:
        super().__init__(tenant_id)
        self.seen: list[bool] = []
        self.on(Lead.LeadScored, self._watched, self.key_functions[Lead.LeadScored])

    def _watched(self, event: Any, rows: Any) -> None:
        if event.tenant_id == self.tenant_id:
            self.seen.append(gc.isenabled())
            if event.score == 13:
                raise ValueError("thirteen")
        self._scored(event, rows)


def test_a_large_batch_runs_with_the_collector_paused_and_restores_it(
        container: Any, counting_schema: str) -> None:
    tenant = uuid4()
    score_events(container, tenant, [10, 11, 12])

    def runner(projection: CollectorWatch, batch_size: int) -> ProjectionRunner:
        return ProjectionRunner(projection, container.worker_pool(), container.worker_mapper(),
                                schema=counting_schema,
                                tracking_name=f"{ScoreCounts.name}@{counting_schema}",
                                batch_size=batch_size, tables=TABLES)

    assert gc.isenabled()
    large = CollectorWatch(tenant)
    runner(large, LARGE_BATCH).catch_up()
    assert large.seen == [False, False, False] and gc.isenabled()
    assert counted(container, counting_schema, tenant) == (3, 12)

    score_events(container, tenant, [13])  # a failing batch restores it too
    failing = CollectorWatch(tenant)
    with pytest.raises(ValueError, match="thirteen"):
        runner(failing, LARGE_BATCH).catch_up()
    assert failing.seen == [False] and gc.isenabled()

    small = CollectorWatch(tenant)  # live runners (batches of 1,000) leave it alone
    with pytest.raises(ValueError, match="thirteen"):
        runner(small, 1000).catch_up()
    assert small.seen == [True] and gc.isenabled()
    assert counted(container, counting_schema, tenant) == (3, 12)


def test_overlapping_pauses_enable_the_collector_once_the_last_ends() -> None:
    first_in, second_out = threading.Event(), threading.Event()

    def other_thread() -> None:
        with collector_paused():
            first_in.wait(5)
        second_out.set()

    assert gc.isenabled()
    thread = threading.Thread(target=other_thread)
    thread.start()
    with collector_paused():
        first_in.set()
        assert second_out.wait(5)
        assert not gc.isenabled()  # the other pause ended, this one has not
    thread.join()
    assert gc.isenabled()
    gc.disable()  # a collector disabled by someone else stays disabled
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.fixture
def two_schemas(container: Any) -> Any:
    """Two private schemas, each with the lead_pipeline and ltv tables as projections make them."""
    from adapters.projections.manager import ProjectionManager

    manager = container.projection_manager()
    names = [f"flush_{uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(container.database().owner_url, autocommit=True) as conn:
        for schema in names:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO frontdesk_worker").format(
                sql.Identifier(schema)))
            for name in ("lead_pipeline", "ltv"):
                ProjectionManager._create_tables(manager, conn, manager.get(name), schema)
    yield names
    with psycopg.connect(container.database().owner_url, autocommit=True) as conn:
        for schema in names:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def test_many_upserts_are_copied_in_and_write_what_statements_write(
        container: Any, two_schemas: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.projections import buffer
    from adapters.projections.buffer import BufferedRows, TableWriter
    from adapters.projections.tables import TABLES as VIEW_TABLES

    assert TableWriter(VIEW_TABLES["memories"], "public").copy_types is None  # a vector
    tenant = uuid4()
    awkward = ["tab\there", "new\nline", "back\\slash", "quote'\"", "ünï©ødé ✓", "\\N", ""]

    def lead(n: int, status: str) -> dict[str, Any]:
        at = T0 + timedelta(minutes=n)
        return {"tenant_id": tenant, "id": UUID(int=n + 1), "contact_id": UUID(int=10**6 + n),
                "status": status, "version": n, "source": awkward[n % len(awkward)],
                "campaign": None if n % 2 else f"c{n}", "channel": "web",
                "notes": awkward[(n + 3) % len(awkward)], "score": None if n % 3 else n,
                "score_reasons": [awkward[n % len(awkward)], {"n": n, "x": [None, 1.5]}],
                "assigned_to": None, "case_id": UUID(int=n) if n % 4 == 0 else None,
                "follow_ups": None if n % 5 == 0 else  # JSON null, not NULL
                [{"id": str(UUID(int=n)), "due_at": at.isoformat()}],
                "next_follow_up_at": at if n % 2 else None, "lost_reason": None,
                "status_before_close": None, "created_at": at, "updated_at": at,
                "last_activity_at": at + timedelta(microseconds=n)}

    def contact(n: int) -> dict[str, Any]:
        return {"tenant_id": tenant, "contact_id": UUID(int=n + 1), "currency": "EUR",
                "paid": 2**40 + n, "refunded": n, "disputed": 0, "net": 2**40, "payments": n,
                "cases": 1, "first_payment_at": T0, "last_payment_at": T0 + timedelta(days=n),
                "cohort": "2026-06", "by_case": {str(UUID(int=n)): [n, 0, 0, 1]}}

    def write(schema: str, copy_from: int, status: str, count: int) -> None:
        monkeypatch.setattr(buffer, "COPY_FROM", copy_from)
        writers = {t: TableWriter(VIEW_TABLES[t], schema) for t in ("lead_pipeline",
                                                                     "ltv_contacts")}
        rows = BufferedRows(writers)
        for n in range(count):
            rows.put("lead_pipeline", (tenant, UUID(int=n + 1)), lead(n, status))
            rows.put("ltv_contacts", (tenant, UUID(int=n + 1), "EUR"), contact(n))
        with container.worker_pool().connection() as conn, conn.transaction():
            assert rows.flush(conn) == 2 * count

    def table(schema: str, name: str) -> list[dict[str, Any]]:
        with container.worker_pool().connection() as conn:
            return conn.execute(sql.SQL("SELECT * FROM {} WHERE tenant_id = %s ORDER BY 2")
                                .format(sql.Identifier(schema, name)), (tenant,)).fetchall()

    statements, copied = two_schemas
    write(statements, 10**9, "new", 30)
    write(copied, 1, "new", 30)
    write(statements, 10**9, "qualified", 40)  # 30 updated, 10 new
    write(copied, 1, "qualified", 40)
    for name in ("lead_pipeline", "ltv_contacts"):
        assert table(copied, name) == table(statements, name)
    leads = table(copied, "lead_pipeline")
    assert len(leads) == 40 and {r["status"] for r in leads} == {"qualified"}
    assert [r["source"] for r in leads[:len(awkward)]] == awkward
    assert leads[1]["score_reasons"] == [awkward[1], {"n": 1, "x": [None, 1.5]}]
    assert leads[0]["follow_ups"] is None and leads[1]["follow_ups"]
    assert leads[1]["last_activity_at"] == T0 + timedelta(minutes=1, microseconds=1)
    assert table(copied, "ltv_contacts")[3]["paid"] == 2**40 + 3


def test_a_rebuild_that_copies_its_rows_in_equals_the_live_view(
        container: Any, runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.projections import buffer

    tenant = uuid4()
    wait_visible(container, activity(container, tenant, 15))
    live = table_rows(container, "lead_pipeline", tenant)
    monkeypatch.setattr(buffer, "COPY_FROM", 1)
    container.projection_manager().rebuild("lead_pipeline", resume=False)
    assert table_rows(container, "lead_pipeline", tenant) == live


def test_a_batch_decrypts_with_live_keys_and_reads_erased_subjects_as_erased(
        container: Any) -> None:
    tenant = uuid4()
    kept_person, kept = new_lead(tenant)
    gone_person, gone = new_lead(tenant)
    for lead in (kept, gone):
        lead.rescore(actor="t", at=T0, score=Score(40), reasons=["private reason"])
    save(container, tenant, kept_person, kept, gone_person, gone)
    with psycopg.connect(container.database().owner_url, autocommit=True) as conn:
        conn.execute("UPDATE data_keys SET wrapped_key = NULL, destroyed_at = now() "
                     "WHERE subject_id = %s", (gone_person.id,))
    keys = container.worker_mapper().keys
    keys.forget(gone_person.id)
    unknown = uuid4()
    found = keys.keys_for_read(None, [kept_person.id, gone_person.id, unknown])
    assert found[gone_person.id] is None and found[unknown] is None
    assert found[kept_person.id] == keys.key_for_read(None, kept_person.id) is not None

    runner = ProjectionRunner(LeadPipelineProjection(), container.worker_pool(),
                              container.worker_mapper())
    with container.worker_pool().connection() as conn:
        rows = read_rows_after(conn, Position.start(), 1_000_000, topics=runner.topics or ())
        ours = [row for row in rows.rows if row[3] in (kept.id, gone.id)]
        events = {(e.originator_id, type(e).__name__): e for e in runner.decode(ours, conn)}
    assert events[(kept.id, "LeadScored")].reasons == ["private reason"]
    assert events[(gone.id, "LeadScored")].reasons == ["[erased]"]  # the tombstone replays
    assert events[(gone.id, "LeadScored")].score == 40


def test_copied_batches_apply_one_after_another_inside_one_transaction(
        container: Any, counting_schema: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild's swap catches up several batches in one owner transaction: each copies its
    rows through a staging table of the same name."""
    from adapters.projections import buffer

    monkeypatch.setattr(buffer, "COPY_FROM", 1)
    tenant = uuid4()
    score_events(container, tenant, [21, 22, 23, 24])
    runner = ProjectionRunner(ScoreCounts(tenant), container.worker_pool(),
                              container.worker_mapper(), schema=counting_schema,
                              tracking_name=f"{ScoreCounts.name}@{counting_schema}",
                              batch_size=1, tables=TABLES)
    with container.worker_pool().connection() as conn, conn.transaction():
        runner.catch_up(conn)
    assert counted(container, counting_schema, tenant) == (4, 24)
