"""The tenant log and the stream hub on real PostgreSQL (ADR 0067): one tenant's events in
commit-safe order, rendered as histories render them, read under row-level security; the hub
fanning one read out to many followers, a follower behind the hub catching up without gaps or
repeats, and stopping."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any
from uuid import UUID

import psycopg
import pytest

from adapters.projections.reader import Position
from adapters.streams.hub import StreamHub
from adapters.streams.tail import LogSlice, PostgresTenantLog
from application.streams import StreamedEvent
from tests.conftest import TenantSession


def capture(tenant: TenantSession, name: str) -> dict[str, Any]:
    email = f"{name.lower().replace(' ', '.')}@example.com"
    created = tenant.post("/v1/leads", json={"name": name, "source": "fair", "email": email})
    assert created.status_code == 201, created.text
    return dict(created.json())


def log_positions(container: Any, tenant_id: str) -> list[str]:
    with psycopg.connect(container.database().owner_url) as conn:
        rows = conn.execute("SELECT tx_id::text || ':' || notification_id FROM events "
                            "WHERE tenant_id = %s ORDER BY tx_id, notification_id",
                            (tenant_id,)).fetchall()
    return [row[0] for row in rows]


def test_a_tenants_events_in_log_order_rendered_as_their_histories(
        container: Any, tenant: TenantSession, other_tenant: TenantSession) -> None:
    log: PostgresTenantLog = container.streams.tenant_log()
    lead = capture(tenant, "Ana Ruiz")
    capture(other_tenant, "Luis Gil")
    case = tenant.post("/v1/cases", json={"contact_id": lead["contact_id"],
                                          "lead_id": lead["id"], "kind": "trip_quote",
                                          "title": "Lisbon"}).json()
    quoted = tenant.post(f"/v1/cases/{case['id']}/quote", json={
        "currency": "EUR", "valid_until": "2030-01-31",
        "line_items": [{"description": "Hotel", "quantity": 4, "unit_amount": 12_050}]})
    assert quoted.status_code == 200, quoted.text
    tenant_id = UUID(tenant.id)
    stored = log_positions(container, tenant.id)
    # The log hands out events below the oldest running transaction: another test's
    # transaction still open may hold the last ones back for a moment.
    deadline = time.monotonic() + 10
    events = log.after(tenant_id, None, 100)
    while len(events) < len(stored) and time.monotonic() < deadline:
        time.sleep(0.05)
        events = log.after(tenant_id, None, 100)
    assert [e.position for e in events] == stored
    assert [(e.type, e.aggregate_kind) for e in events] == [
        ("ContactRegistered", "Contact"), ("LeadCaptured", "Lead"), ("CaseOpened", "Case"),
        ("QuoteIssued", "Case")]
    for aggregate_id in {e.aggregate_id for e in events}:
        history = container.event_store().of(tenant_id, aggregate_id)
        mine = [e for e in events if e.aggregate_id == aggregate_id]
        assert [(e.type, e.version, e.at, e.actor, dict(e.data)) for e in mine] == [
            (h.type, h.version, h.at, h.actor, h.data) for h in history]
    quote = events[-1].data
    assert quote["total"] == 48_200 and quote["currency"] == "EUR"  # Money as histories show it
    # Paged: after a position, at most a limit; the other tenant's log is its own.
    assert log.after(tenant_id, events[1].position, 2) == events[2:4]
    theirs = log.after(UUID(other_tenant.id), None, 100)
    assert [e.position for e in theirs] == log_positions(container, other_tenant.id)
    assert theirs[0].data["name"] == "Luis Gil"


def test_nothing_is_handed_out_past_a_transaction_still_running(
        container: Any, tenant: TenantSession) -> None:
    """A transaction that took its id before a commit holds the horizon back: the later
    commit is read only once it ends, so a position handed out never skips a late commit."""
    log: PostgresTenantLog = container.streams.tenant_log()
    head = log.head(UUID(tenant.id))
    with psycopg.connect(container.database().owner_url) as early:
        early.execute("SELECT pg_current_xact_id()")  # an id, in a transaction left open
        capture(tenant, "Marta Vidal")
        held = log.read(UUID(tenant.id), head, 100)
        assert held.events == []
        assert held.cursor(Position.parse(head)) <= Position(held.horizon, 0)
        early.rollback()
    after = log.after(UUID(tenant.id), head, 100)
    assert [e.type for e in after] == ["ContactRegistered", "LeadCaptured"]


def test_an_erased_contacts_fields_read_erased(container: Any, tenant: TenantSession) -> None:
    log: PostgresTenantLog = container.streams.tenant_log()
    lead = capture(tenant, "Pau Serra")
    before = log.after(UUID(tenant.id), None, 100)
    assert before[0].data["name"] == "Pau Serra"  # and its key cached in this process
    erased = tenant.client.delete(f"/v1/contacts/{lead['contact_id']}", headers=tenant.headers)
    assert erased.status_code == 202
    after = log.after(UUID(tenant.id), None, 100)
    assert after[0].data["name"] == after[0].data["email"] == "[erased]"
    assert after[-1].type == "ContactErased"


# -- the hub ----------------------------------------------------------------------------------


class CountingLog(PostgresTenantLog):
    """The real adapter, counting its reads."""

    def __init__(self, real: PostgresTenantLog) -> None:
        super().__init__(real._pool, real._mapper)
        self.reads = 0
        self._count = threading.Lock()

    def read(self, tenant_id: UUID, position: str | None, limit: int) -> LogSlice:
        with self._count:
            self.reads += 1
        return super().read(tenant_id, position, limit)


def hub_of(container: Any, **options: Any) -> tuple[StreamHub, CountingLog]:
    log = CountingLog(container.streams.tenant_log())
    return StreamHub(log, container.notifier(), poll_interval=0.2, **options), log


async def collect(hub: StreamHub, tenant_id: UUID, after: str | None, count: int,
                  opened: asyncio.Event | None = None) -> list[StreamedEvent]:
    follower = await hub.follow(tenant_id, after)
    if opened is not None:
        opened.set()
    seen: list[StreamedEvent] = []
    try:
        while len(seen) < count:
            batch = await asyncio.wait_for(follower.next(1.0), 20)
            assert batch is not None
            seen += batch
    finally:
        follower.close()
    return seen


def test_two_hundred_followers_of_one_tenant_share_the_hubs_reads(
        container: Any, tenant: TenantSession) -> None:
    hub, log = hub_of(container)
    tenant_id = UUID(tenant.id)

    async def main() -> list[list[StreamedEvent]]:
        opened = [asyncio.Event() for _ in range(200)]
        followers = [asyncio.create_task(collect(hub, tenant_id, None, 10, o)) for o in opened]
        for event in opened:
            await event.wait()
        await asyncio.to_thread(lambda: [capture(tenant, f"Person {n}") for n in range(5)])
        return await asyncio.gather(*followers)

    try:
        results = asyncio.run(main())
    finally:
        hub.stop()
    expected = log_positions(container, tenant.id)
    assert all([e.position for e in seen] == expected for seen in results)
    assert len({id(seen[0]) for seen in results}) == 1  # decoded once, handed to all
    assert log.reads < 100  # one read per wake for the tenant, not one per follower


def test_a_follower_behind_the_hub_catches_up_without_gaps_or_repeats(
        container: Any, tenant: TenantSession) -> None:
    hub, _ = hub_of(container, buffer=3, batch=2)  # tiny: the tail forgets quickly
    tenant_id = UUID(tenant.id)
    start = container.streams.tenant_log().head(tenant_id)

    async def main() -> tuple[list[StreamedEvent], list[StreamedEvent]]:
        live = asyncio.create_task(collect(hub, tenant_id, None, 12))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(lambda: [capture(tenant, f"Early {n}") for n in range(3)])
        await asyncio.sleep(0.5)  # the tail has moved past the first ones
        behind = asyncio.create_task(collect(hub, tenant_id, start, 12))
        await asyncio.to_thread(lambda: [capture(tenant, f"Late {n}") for n in range(3)])
        return await live, await behind

    try:
        live, behind = asyncio.run(main())
    finally:
        hub.stop()
    expected = log_positions(container, tenant.id)
    assert [e.position for e in behind] == expected
    assert [e.position for e in live] == expected


def test_stopping_the_hub_ends_its_followers_and_threads(container: Any,
                                                         tenant: TenantSession) -> None:
    hub, _ = hub_of(container, listen_url=container.database().app_url)

    async def main() -> object:
        follower = await hub.follow(UUID(tenant.id), None)
        threads = [t for t in threading.enumerate() if t.name.startswith("stream-hub")]
        assert len(threads) == 2  # the reader and the listener
        waiting = asyncio.create_task(follower.next(30))
        await asyncio.sleep(0.1)
        await asyncio.to_thread(hub.stop)
        return await asyncio.wait_for(waiting, 10)

    assert asyncio.run(main()) is None
    assert not [t for t in threading.enumerate() if t.name.startswith("stream-hub")]


@pytest.fixture(autouse=True)
def _no_hub_left(container: Any) -> Any:
    yield
    container.streams.hub().stop()
