"""Scale-out: an API process (`frontdesk serve` without in-process projections) and two
`frontdesk worker` processes on one PostgreSQL of their own. Every projection, policy and
consumer is claimed (advisory lock, seen in pg_locks) by exactly one worker, each worker
holding about half of them; writes made
meanwhile are applied once (sums and counts of the read models equal the log; every tracking
row counted each of its events once). SIGKILL the worker holding the claims while writes go on:
the other takes every claim over within a bounded time, and the writes become visible, still
each applied once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.processes import Process, frontdesk_env, private_postgres, query, wait_until
from tests.vendors import free_port

ADMIN = "scale-out-admin-token-0123456789"
WORKERS = ("worker-a", "worker-b")
QUOTE = {"currency": "EUR", "valid_until": "2099-12-31",
         "line_items": [{"description": "Plan", "quantity": 1, "unit_amount": 50_000}]}


@dataclass
class Cluster:
    url: str  # the database owner's
    api: str
    container: Any  # an in-process composition root on the same database, to inspect it
    processes: dict[str, Process] = field(default_factory=dict)

    def claim_keys(self) -> list[str]:
        """Every advisory-lock claim a worker's Runtime takes (entrypoints/runtime.py)."""
        c = self.container
        return sorted([f"projection:{p.name}" for p in c.projections()]
                      + [f"policy:{p.name}" for p in c.policies()]
                      + [f"consumer:{x.name}" for x in c.consumers()]
                      + ["policy:stale-leads", "privacy:compaction", "privacy:retention",
                         "privacy:tenant-retention",
                         "policy:contact-center", "webhooks:delivery"])

    def holders(self) -> dict[str, list[str]]:
        """Claim key -> the processes (application names) holding its advisory lock."""
        rows = query(self.url, """
            SELECT k.key, array_remove(array_agg(a.application_name), NULL) AS holders
            FROM unnest(%s::text[]) AS k(key)
            LEFT JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                 AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtext(k.key)::bigint
            LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            GROUP BY k.key""", (self.claim_keys(),))
        return {row["key"]: sorted(row["holders"]) for row in rows}

    def caught_up(self) -> bool:
        return all(s.pending == 0 for s in self.container.projection_manager().status())


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    from dependency_injector import providers

    from entrypoints.cli.boot import migrate_database
    from entrypoints.container import Container
    from entrypoints.settings import Settings

    with private_postgres(tmp_path / "pg") as url:
        port = free_port()
        container = Container()
        container.settings.override(providers.Object(Settings(
            DATABASE_URL=url, FRONTDESK_LOG_LEVEL="WARNING")))
        migrate_database(container)  # the release step
        running = Cluster(url, f"http://127.0.0.1:{port}", container)
        env = frontdesk_env(url, ADMIN_API_TOKEN=ADMIN, FRONTDESK_PORT=str(port),
                            FRONTDESK_IN_PROCESS_PROJECTIONS="false",
                            FRONTDESK_RATE_LIMIT_PER_IP="0", FRONTDESK_RATE_LIMIT_PER_TENANT="0")
        try:
            running.processes["api"] = Process("api", ["serve"], env, tmp_path)
            for name in WORKERS:  # both at once: they race for the claims
                running.processes[name] = Process(name, ["worker"], env, tmp_path)
            yield running
        finally:
            for process in running.processes.values():
                process.kill()
            container.datastore().close()
            container.worker_pool().close()


class Writer:
    """Through the API: a lead (captured, scored), a case for its contact (quoted, accepted)
    and two payments; remembers what it wrote."""

    def __init__(self, api: str, token: str) -> None:
        self.client = httpx.Client(base_url=api, timeout=60,
                                   headers={"Authorization": f"Bearer {token}"})
        self.paid: dict[str, list[int]] = {}  # case id -> amounts
        self.leads: list[str] = []
        self.position = "0"
        self.failures: list[str] = []

    def _post(self, path: str, body: Any, status: int, **headers: str) -> Any:
        response = self.client.post(path, json=body, headers=headers)
        if response.status_code != status:
            self.failures.append(f"{path}: {response.status_code} {response.text[:200]}")
            return None
        self.position = max(self.position, response.headers["x-frontdesk-position"], key=int)
        return response.json()

    def unit(self, n: int) -> None:
        lead = self._post("/v1/leads", {"email": f"{uuid.uuid4().hex[:12]}@scale.example",
                                        "source": "web"}, 201)
        if lead is None:
            return
        self.leads.append(lead["id"])
        self._post(f"/v1/leads/{lead['id']}/score", {"score": n % 100}, 200, **{"If-Match": "1"})
        case = self._post("/v1/cases", {"contact_id": lead["contact_id"], "kind": "plan",
                                        "title": "Plan"}, 201)
        if case is None:
            return
        if self._post(f"/v1/cases/{case['id']}/quote", QUOTE, 200) is None or \
                self._post(f"/v1/cases/{case['id']}/accept", None, 200) is None:
            return
        for amount in (100 + n, 200 + n):
            if self._post(f"/v1/cases/{case['id']}/payments",
                          {"amount": amount, "currency": "EUR", "method": "cash"}, 201):
                self.paid.setdefault(case["id"], []).append(amount)


def assert_applied_once(cluster: Cluster, tenant: str, writers: list[Writer]) -> None:
    """The read models hold each write once: every lead, the payments of every case and every
    contact (count and sum); each tracking row counted each event of its topics once."""
    assert not [f for w in writers for f in w.failures]
    paid = {case: amounts for w in writers for case, amounts in w.paid.items()}
    leads = {lead for w in writers for lead in w.leads}
    captured = query(cluster.url, "SELECT count(*) AS n FROM events WHERE tenant_id = %s AND "
                                  "topic LIKE %s", (tenant, "%LeadCaptured"))[0]["n"]
    rows = query(cluster.url, "SELECT id::text, version FROM lead_pipeline WHERE tenant_id = %s",
                 (tenant,))
    assert captured == len(leads) == len(rows) and {r["id"] for r in rows} == leads
    assert {r["version"] for r in rows} == {2}
    cases = query(cluster.url, "SELECT id::text, paid, jsonb_array_length(payments) AS n "
                               "FROM cases WHERE tenant_id = %s", (tenant,))
    assert {r["id"]: (r["n"], r["paid"]) for r in cases} == {
        case: (len(amounts), sum(amounts)) for case, amounts in paid.items()}
    ltv = query(cluster.url, "SELECT sum(payments) AS n, sum(paid) AS paid, count(*) AS contacts "
                             "FROM ltv_contacts WHERE tenant_id = %s", (tenant,))[0]
    assert (ltv["n"], ltv["paid"], ltv["contacts"]) == (
        sum(len(a) for a in paid.values()), sum(sum(a) for a in paid.values()), len(paid))
    manager = cluster.container.projection_manager()
    for status in (s for s in manager.status() if s.kind == "projection"):
        assert status.events_processed == manager.count_events(manager.get(status.name)), \
            status.name


def test_two_workers_share_the_claims_and_one_takes_over_when_the_other_is_killed(
        cluster: Cluster) -> None:
    keys = cluster.claim_keys()
    workers = [cluster.processes[name] for name in WORKERS]
    everything = [*workers, cluster.processes["api"]]

    def claimed() -> dict[str, list[str]] | None:
        holders = cluster.holders()
        return holders if all(holders[k] for k in keys) else None

    def shared() -> dict[str, list[str]] | None:
        holders = claimed()
        if holders is None:
            return None
        counts = [sum(holders[k] == [name] for k in keys) for name in WORKERS]
        return holders if min(counts) >= len(keys) // 2 - 1 else None

    # Both take part: neither holds more than its share and one (ADR 0062).
    holders = wait_until(shared, 120, "every claim held, about half by each worker",
                         everything, every=0.2)
    assert all(len(holders[k]) == 1 and holders[k][0] in WORKERS for k in keys), holders

    wait_until(lambda: _healthy(cluster.api), 120, "the API up", everything, every=0.2)
    slug = f"scale-{uuid.uuid4().hex[:6]}"
    created = httpx.post(f"{cluster.api}/v1/admin/tenants", timeout=60,
                         headers={"Authorization": f"Bearer {ADMIN}"},
                         json={"name": "Scale", "slug": slug, "admin_email": f"a@{slug}.example",
                               "admin_password": PASSWORD})
    assert created.status_code == 201, created.text
    tenant = created.json()["id"]
    token = httpx.post(f"{cluster.api}/v1/auth/login", timeout=60, json={
        "tenant": slug, "email": f"a@{slug}.example", "password": PASSWORD}).json()["access_token"]

    # Writes while both workers run.
    writers = [Writer(cluster.api, token) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=len(writers)) as pool:
        list(pool.map(lambda w: [w.unit(n) for n in range(3)], writers))
    wait_until(cluster.caught_up, 60, "the projections caught up", everything, every=0.2)
    assert_applied_once(cluster, tenant, writers)

    # Kill the worker holding the most claims while a client keeps writing.
    counts = {name: sum(holders[k] == [name] for k in keys) for name in WORKERS}
    victim = max(counts, key=lambda name: counts[name])
    survivor = next(name for name in WORKERS if name != victim)
    steady = Writer(cluster.api, token)
    stop = threading.Event()

    def keep_writing() -> None:
        n = 0
        while not stop.is_set():
            steady.unit(n)
            n += 1

    background = threading.Thread(target=keep_writing)
    background.start()
    try:
        wait_until(lambda: len(steady.paid) >= 2, 60, "writing", everything)
        cluster.processes[victim].kill()
        wait_until(lambda: all(h == [survivor] for h in cluster.holders().values()), 60,
                   f"{survivor} holding every claim", [cluster.processes[survivor]], every=0.2)
        written = len(steady.leads)
        wait_until(lambda: len(steady.leads) >= written + 2, 60, "writing after the takeover",
                   [cluster.processes[survivor]])
    finally:
        stop.set()
        background.join(timeout=120)
    assert not background.is_alive()

    # What was written after the takeover is visible, and every write is applied once.
    last = steady.leads[-1]
    with httpx.Client(base_url=cluster.api, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        def visible() -> bool:
            view = client.get(f"/v1/leads/{last}",
                              headers={"X-Frontdesk-Min-Position": steady.position})
            return view.headers.get("x-frontdesk-consistency") == "consistent" and \
                view.json()["version"] == 2
        wait_until(visible, 60, "the last lead visible", [cluster.processes[survivor]])
    wait_until(cluster.caught_up, 60, "the projections caught up",
               [cluster.processes[survivor]], every=0.2)
    assert_applied_once(cluster, tenant, [*writers, steady])


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
