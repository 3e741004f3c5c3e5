"""PostgreSQL stopped (crashed) and restarted under write load, against `frontdesk serve` on a
PostgreSQL of its own: every acknowledged command survives, the API answers 503 while the
database is down, its probes keep answering, and it recovers by itself."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD, ROOT
from tests.serving import served

pytestmark = pytest.mark.slow  # started first, while the other worker shares the rest


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[Any]:
    """A second embedded PostgreSQL, so crashing it harms no other test."""
    from adapters.postgres.embedded import start_server

    server = start_server(tmp_path / "pg", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()


def _crash(server: Any) -> None:
    from adapters.postgres.embedded import pg_ctl

    pg_ctl(server, "-w", "-m", "immediate", "stop")


def _probe_while_down(url: str) -> dict[str, httpx.Response | Exception]:
    """/metrics and /health/ready at once, and /health while they are in flight. The client
    timeouts are a probe's budget: the pool's own 30 s wait would exceed them, and /metrics
    reading the lag on the event loop would hold /health up behind it."""
    answers: dict[str, httpx.Response | Exception] = {}

    def probe(path: str, timeout: float) -> None:
        try:
            answers[path] = httpx.get(f"{url}{path}", timeout=timeout)
        except httpx.HTTPError as error:
            answers[path] = error

    slow = [threading.Thread(target=probe, args=(path, 10)) for path in ("/metrics",
                                                                         "/health/ready")]
    for thread in slow:
        thread.start()
    time.sleep(0.3)  # both are waiting on the database by now
    probe("/health", 5)
    for thread in slow:
        thread.join()
    return answers


def test_acknowledged_writes_survive_a_database_crash_and_the_api_recovers(
        own_postgres: Any) -> None:
    url = own_postgres.get_uri("postgres")
    env = {**os.environ, "DATABASE_URL": url, "FRONTDESK_LOG_LEVEL": "WARNING"}
    subprocess.run([str(ROOT / ".venv/bin/frontdesk"), "migrate"], env=env, check=True,
                   capture_output=True, timeout=120, cwd=ROOT)
    acknowledged: dict[str, str] = {}  # email -> lead id, only for 201 answers
    statuses: list[int] = []
    stop = threading.Event()
    with served(url, FRONTDESK_RATE_LIMIT_PER_IP="0", FRONTDESK_RATE_LIMIT_PER_TENANT="0",
                FRONTDESK_DB_POOL_SIZE="4") as service:
        slug = f"outage-{uuid.uuid4().hex[:6]}"
        assert httpx.post(f"{service.url}/v1/admin/tenants",
                          headers={"Authorization": "Bearer dev-admin-token"},
                          json={"name": "Outage", "slug": slug, "admin_email": f"a@{slug}.example",
                                "admin_password": PASSWORD}).status_code == 201
        token = httpx.post(f"{service.url}/v1/auth/login", json={
            "tenant": slug, "email": f"a@{slug}.example",
            "password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        def write(worker: int) -> None:
            with httpx.Client(base_url=service.url, headers=auth, timeout=10) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    email = f"w{worker}-{n}@outage.example"
                    try:
                        answer = client.post("/v1/leads", json={"email": email,
                                                                "source": "web"})
                    except httpx.HTTPError:
                        statuses.append(0)  # no answer: not acknowledged
                        continue
                    statuses.append(answer.status_code)
                    if answer.status_code == 201:
                        acknowledged[email] = answer.json()["id"]
                    elif answer.status_code >= 500:
                        time.sleep(0.1)

        writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for thread in writers:
            thread.start()
        try:
            time.sleep(2)
            before_crash = len(acknowledged)
            _crash(own_postgres)
            crashed_at = time.monotonic()
            probes = _probe_while_down(service.url)
            time.sleep(max(0.0, 3 - (time.monotonic() - crashed_at)))
            during = list(statuses)
            own_postgres.ensure_postgres_running()
            deadline = time.monotonic() + 60
            recovered_at = len(acknowledged)
            while len(acknowledged) < recovered_at + 20:  # writes succeed again, by themselves
                assert time.monotonic() < deadline, "the API did not recover"
                time.sleep(0.2)
        finally:
            stop.set()
            for thread in writers:
                thread.join(timeout=30)
        assert before_crash > 0
        assert 503 in during, "no 503 while the database was down"
        live, ready, metrics = probes["/health"], probes["/health/ready"], probes["/metrics"]
        assert isinstance(live, httpx.Response) and live.status_code == 200, live
        assert isinstance(ready, httpx.Response) and ready.status_code == 503, ready
        assert ready.json()["checks"]["database"]["ok"] is False
        assert isinstance(metrics, httpx.Response) and metrics.status_code == 200, metrics
        assert "frontdesk_http_request_seconds_count" in metrics.text
        assert 'frontdesk_projection_pending_events{' not in metrics.text  # lag unknown
        assert not {s for s in statuses if s >= 500} - {503}, sorted(set(statuses))
        # Readiness comes back by itself too. Its probe waits at most 2 s for a connection
        # (ADR 0059), and a pool refills with back-off after an outage, so it is polled, as
        # an orchestrator polls it, rather than read once.
        deadline = time.monotonic() + 60
        while (health := httpx.get(f"{service.url}/health/ready", timeout=10).json())[
                "status"] != "ready" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert health["status"] == "ready", health

        # Every acknowledged lead is in the event store (its history reads from it) and in
        # the read model once the projections catch up.
        with httpx.Client(base_url=service.url, headers=auth, timeout=30) as client:
            for email, lead_id in acknowledged.items():
                history = client.get(f"/v1/leads/{lead_id}/events")
                assert history.status_code == 200, (email, history.text)
                assert history.json()["items"][0]["type"] == "LeadCaptured"
            listed: set[str] = set()
            cursor = None
            deadline = time.monotonic() + 60
            while True:
                page = client.get("/v1/leads", params={"limit": 200, **(
                    {"cursor": cursor} if cursor else {})}).json()
                listed |= {item["id"] for item in page["items"]}
                cursor = page["next_cursor"]
                if cursor is None:
                    if set(acknowledged.values()) <= listed or time.monotonic() > deadline:
                        break
                    listed, cursor = set(), None
                    time.sleep(0.5)
            assert set(acknowledged.values()) <= listed


def _answered_503(answer: httpx.Response) -> None:
    """The database-down answer: 503 problem+json with a Retry-After in whole seconds."""
    assert answer.status_code == 503, (answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert int(answer.headers["retry-after"]) >= 1
    body = answer.json()
    assert body["type"].endswith("/unavailable") and body["status"] == 503, body


def _database_circuit(url: str) -> float:
    """The database circuit's gauge (0 closed, 1 half-open, 2 open), from /metrics."""
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith('frontdesk_vendor_circuit_state{vendor="database"}'):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no database circuit in /metrics")


def test_with_the_database_stopped_reads_writes_and_logins_are_503_and_succeed_after_it_returns(
        own_postgres: Any) -> None:
    """ADR 0073. While PostgreSQL is down, an authenticated read, an idempotent write and a
    login are each answered 503 problem+json with Retry-After, and the database's circuit is
    open. Once it is back, the same requests succeed from the same process (no restart); the
    write that got the 503 had not been applied, and the write accepted before the outage is
    still there."""
    import psycopg

    url = own_postgres.get_uri("postgres")
    env = {**os.environ, "DATABASE_URL": url, "FRONTDESK_LOG_LEVEL": "WARNING"}
    subprocess.run([str(ROOT / ".venv/bin/frontdesk"), "migrate"], env=env, check=True,
                   capture_output=True, timeout=120, cwd=ROOT)
    with served(url, FRONTDESK_RATE_LIMIT_PER_IP="0",
                FRONTDESK_RATE_LIMIT_PER_TENANT="0") as service:
        slug = f"down-{uuid.uuid4().hex[:6]}"
        tenant = httpx.post(f"{service.url}/v1/admin/tenants",
                            headers={"Authorization": "Bearer dev-admin-token"},
                            json={"name": "Down", "slug": slug, "admin_email": f"a@{slug}.example",
                                  "admin_password": PASSWORD})
        assert tenant.status_code == 201, tenant.text
        credentials = {"tenant": slug, "email": f"a@{slug}.example", "password": PASSWORD}
        token = httpx.post(f"{service.url}/v1/auth/login",
                           json=credentials).json()["access_token"]
        pid = service.process.pid if service.process else None
        with httpx.Client(base_url=service.url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            def read() -> httpx.Response:
                return client.get("/v1/leads", params={"limit": 10})

            def write() -> httpx.Response:
                return client.post("/v1/leads", headers={"Idempotency-Key": "during-outage"},
                                   json={"email": f"during@{slug}.example", "source": "web"})

            def login() -> httpx.Response:
                return client.post("/v1/auth/login", json=credentials, headers={
                    "Authorization": ""})

            accepted = client.post("/v1/leads", headers={"Idempotency-Key": "before-outage"},
                                   json={"email": f"before@{slug}.example", "source": "web"})
            assert accepted.status_code == 201, accepted.text
            assert read().status_code == 200 and _database_circuit(service.url) == 0

            _crash(own_postgres)
            for answer in (read(), write(), login(), read(), write(), login()):
                _answered_503(answer)
            assert _database_circuit(service.url) == 2  # open: nothing waits on a pool

            own_postgres.ensure_postgres_running()
            deadline = time.monotonic() + 60
            while (answer := read()).status_code != 200:
                _answered_503(answer)  # until a trial reaches the database again
                assert time.monotonic() < deadline, "reads did not recover"
                time.sleep(0.2)
            assert service.process is not None and service.process.poll() is None
            assert service.process.pid == pid  # the same process: no restart

            # Nothing of the refused write was stored: no answer under its key, no lead.
            with psycopg.connect(url) as conn:  # the embedded server's superuser: no RLS
                keys = {k for (k,) in conn.execute(
                    "SELECT key FROM idempotency_keys WHERE tenant_id = %s",
                    (tenant.json()["id"],))}
                leads = {str(lead) for (lead,) in conn.execute(
                    "SELECT originator_id FROM events WHERE tenant_id = %s "
                    "AND topic LIKE %s", (tenant.json()["id"], "%.LeadCaptured%"))}
            assert keys == {"before-outage"}, keys
            assert leads == {accepted.json()["id"]}, leads

            # The same requests succeed now; the write's key gives its first answer again.
            retried = write()
            assert retried.status_code == 201, retried.text
            assert retried.json()["id"] != accepted.json()["id"]
            again = write()
            assert again.status_code == 201 and again.json()["id"] == retried.json()["id"]
            assert login().status_code == 200
            assert read().status_code == 200
            history = client.get(f"/v1/leads/{accepted.json()['id']}/events")
            assert history.status_code == 200
            assert [e["type"] for e in history.json()["items"]] == ["LeadCaptured"]
            assert _database_circuit(service.url) == 0
