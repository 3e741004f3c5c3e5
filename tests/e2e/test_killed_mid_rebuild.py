"""A `frontdesk worker` catching up, or a `frontdesk projections rebuild`, killed (SIGKILL) in
the middle of a log of some 24,000 events: the next process resumes from the position committed
with the rows, and the read model equals a clean rebuild and what was written (payment counts
and sums: an event applied twice or lost would show), with its position at the log's end.

The log is seeded once per module, in-process, on a PostgreSQL of its own."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from psycopg import sql

from tests.conftest import ROOT
from tests.processes import (
    FRONTDESK,
    Process,
    frontdesk_env,
    private_postgres,
    query,
    wait_until,
)

CASES, PAYMENTS = 60, 400  # 60 x (open, quote, accept, 400 payments, a refund): 24,240 events
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Money:
    payments: int
    paid: int
    refunded: int


@dataclass
class Seeded:
    url: str
    container: Any
    tenant: UUID
    contact_of: dict[UUID, UUID]  # case -> contact
    money: dict[UUID, Money]  # per case, as written


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    from dependency_injector import providers

    from domain.cases import Case, LineItem
    from domain.shared import Slug
    from domain.shared.money import Money as Amount
    from entrypoints.cli.boot import migrate_database
    from entrypoints.container import Container
    from entrypoints.settings import Settings

    with private_postgres(tmp_path_factory.mktemp("rebuild") / "pg") as url:
        container = Container()
        container.settings.override(providers.Object(Settings(
            DATABASE_URL=url, FRONTDESK_LOG_LEVEL="WARNING")))
        migrate_database(container)  # the release step
        tenant = uuid4()
        seeded = Seeded(url, container, tenant, {}, {})
        try:
            for _ in range(CASES // 10):
                uow = container.unit_of_work()(tenant)
                for _ in range(10):
                    case = Case.open(case_id=uuid4(), tenant_id=tenant, actor="seed", at=T0,
                                     contact_id=uuid4(), lead_id=None, kind=Slug("plan"),
                                     title="Treatment plan", source="web", campaign=None)
                    case.issue_quote(actor="seed", at=T0, valid_until=date(2099, 1, 1),
                                     line_items=[LineItem("Plan", 1, Amount(90_000, "EUR"))])
                    case.accept_quote(actor="seed", at=T0)
                    amounts = [100 + (len(seeded.money) * 7 + n) % 900 for n in range(PAYMENTS)]
                    first = uuid4()
                    for n, amount in enumerate(amounts):
                        case.receive_payment(actor="seed", at=T0 + timedelta(minutes=n),
                                             payment_id=first if n == 0 else uuid4(),
                                             amount=Amount(amount, "EUR"), method="cash")
                    case.refund_payment(actor="seed", at=T0 + timedelta(days=1),
                                        refund_id=uuid4(), payment_id=first,
                                        amount=Amount(amounts[0] // 2, "EUR"), reason=None)
                    seeded.contact_of[case.id] = case.contact_id
                    seeded.money[case.id] = Money(PAYMENTS, sum(amounts), amounts[0] // 2)
                    uow.add(case)
                uow.commit()
            yield seeded
        finally:
            container.datastore().close()
            container.worker_pool().close()


# -- what the database holds --------------------------------------------------------------------

def tracking(url: str, name: str) -> dict[str, Any] | None:
    rows = query(url, "SELECT last_tx::text AS tx, last_id, events_processed "
                      "FROM projection_tracking WHERE name = %s", (name,))
    return rows[0] if rows else None


def processed(url: str, name: str) -> int:
    row = tracking(url, name)
    return int(row["events_processed"]) if row else 0


def rows(url: str, table: str) -> list[dict[str, Any]]:
    return query(url, sql.SQL("SELECT * FROM {} ORDER BY 1, 2").format(sql.Identifier(table)))


def views(url: str, tables: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    return {table: rows(url, table) for table in tables}


def topic_events(seeded: Seeded, name: str) -> int:
    manager = seeded.container.projection_manager()
    return int(manager.count_events(manager.get(name)))


def assert_at_the_end_of_the_log(seeded: Seeded, name: str) -> None:
    """The projection's position is at (or past) its last event, and it counted every one of
    its events exactly once."""
    from adapters.projections.runner import topics_of

    manager = seeded.container.projection_manager()
    last = query(seeded.url, "SELECT tx_id::text AS tx, notification_id FROM events "
                             "WHERE topic = ANY(%s) ORDER BY tx_id DESC, notification_id DESC "
                             "LIMIT 1", (topics_of(manager.get(name)),))[0]
    row = tracking(seeded.url, name)
    assert row is not None
    assert (int(row["tx"]), row["last_id"]) >= (int(last["tx"]), last["notification_id"])
    assert row["events_processed"] == topic_events(seeded, name)
    status = next(s for s in manager.status() if s.name == name)
    assert status.pending == 0


def assert_cases_as_written(seeded: Seeded) -> None:
    """Per case: as many payments as were made, their sum, the refund, the version."""
    cases = {row["id"]: row for row in rows(seeded.url, "cases")}
    assert set(cases) == set(seeded.money)
    for case_id, money in seeded.money.items():
        row = cases[case_id]
        assert (len(row["payments"]), row["paid"], row["refunded"]) == (
            money.payments, money.paid, money.refunded), case_id
        assert row["version"] == PAYMENTS + 4


def assert_ltv_as_written(seeded: Seeded) -> None:
    """Per contact (one case each): payments, their sum, the refund, the net."""
    contacts = {row["contact_id"]: row for row in rows(seeded.url, "ltv_contacts")}
    assert set(contacts) == set(seeded.contact_of.values())
    for case_id, money in seeded.money.items():
        row = contacts[seeded.contact_of[case_id]]
        assert (row["payments"], row["paid"], row["refunded"], row["net"], row["cases"]) == (
            money.payments, money.paid, money.refunded, money.paid - money.refunded, 1)
    assert len(rows(seeded.url, "ltv_cases")) == CASES


def assert_a_clean_rebuild_gives_the_same(seeded: Seeded, names: tuple[str, ...]) -> None:
    manager = seeded.container.projection_manager()
    tables = tuple(t for name in names for t in manager.get(name).tables)
    resumed = views(seeded.url, tables)
    for name in names:
        manager.rebuild(name, resume=False)
    assert views(seeded.url, tables) == resumed


# -- the tests ----------------------------------------------------------------------------------

def test_a_worker_killed_while_catching_up_resumes_without_double_counting(
        seeded: Seeded, tmp_path: Path) -> None:
    # As when a projection is added to a populated log: no tables, the worker creates them at
    # position zero and catches up from the first event.
    names = ("cases", "ltv")
    query(seeded.url, "DROP TABLE IF EXISTS cases, ltv_cases, ltv_contacts")
    totals = {name: topic_events(seeded, name) for name in names}
    env = frontdesk_env(seeded.url)
    first = Process("first-worker", ["worker"], env, tmp_path)
    try:
        wait_until(lambda: all(processed(seeded.url, n) > 0 for n in names), 90,
                   "both projections under way", [first], every=0.01)
    finally:
        first.kill()
    interrupted = {name: processed(seeded.url, name) for name in names}
    for name in names:
        assert 0 < interrupted[name] < totals[name], f"{name}: kill the worker mid-stream"

    second = Process("second-worker", ["worker"], env, tmp_path)
    try:
        wait_until(lambda: all(processed(seeded.url, n) >= totals[n] for n in names), 90,
                   "caught up after the restart", [second])
    finally:
        second.kill()
    for name in names:
        assert_at_the_end_of_the_log(seeded, name)
    assert_cases_as_written(seeded)
    assert_ltv_as_written(seeded)
    assert_a_clean_rebuild_gives_the_same(seeded, names)


def test_a_rebuild_killed_midway_resumes_where_it_stopped(seeded: Seeded,
                                                          tmp_path: Path) -> None:
    total = topic_events(seeded, "cases")
    env = frontdesk_env(seeded.url)
    first = Process("first-rebuild", ["projections", "rebuild", "cases"], env, tmp_path)
    try:  # a rebuild commits its rows and position every 10,000 events
        wait_until(lambda: processed(seeded.url, "cases@rebuild") >= 10_000, 90,
                   "a first batch rebuilt", [first], every=0.01)
    finally:
        first.kill()
    interrupted = processed(seeded.url, "cases@rebuild")
    assert 10_000 <= interrupted < total, "kill the rebuild before it swaps the tables in"

    resumed = subprocess.run([FRONTDESK, "projections", "rebuild", "cases"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    applied = re.search(r"cases: (\d+) events applied", resumed.stdout)
    assert applied, resumed.stdout
    assert int(applied.group(1)) == total - interrupted  # resumed: each event applied once
    assert tracking(seeded.url, "cases@rebuild") is None
    assert query(seeded.url, "SELECT to_regclass('frontdesk_rebuild.cases') IS NULL AS gone"
                 )[0]["gone"]
    assert_at_the_end_of_the_log(seeded, "cases")
    assert_cases_as_written(seeded)
    assert_a_clean_rebuild_gives_the_same(seeded, ("cases",))
