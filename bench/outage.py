"""A database outage under steady load: `frontdesk serve` on an embedded PostgreSQL of its own,
PostgreSQL stopped (crashed, `pg_ctl stop -m immediate`) for 60 s and started again.

Load, paced (each client sends its next request `--interval` after the previous answer, or at
once if that answer took longer): two clients read (`GET /v1/leads/{id}`, `GET /v1/leads`),
two capture leads with an `Idempotency-Key` each (`POST /v1/leads`), one logs in.

Printed, all from the same run:
- the baseline: latency of each kind of request before the outage;
- during the outage: the answers (status counts) and the latency of the 503s, p50/p95/max,
  per kind; 503s without `Retry-After` or not `application/problem+json` are counted;
- after the restart: seconds from PostgreSQL accepting connections again to the first
  success of each kind, and to `/health/ready` 200;
- writes: how many were accepted (2xx), and the proof that each is in the event store
  afterwards (its history read through the API, and its events counted in the database); the
  writes that got a 503 sent again with a new key: a 201 means the first was not applied, a
  409 duplicate that it was.

    .venv/bin/python bench/outage.py                       # the issue's 60 s outage
    .venv/bin/python bench/outage.py --outage-seconds 10   # while developing
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402
from bench.http_load import free_port, stop_process  # noqa: E402

ADMIN = "bench-admin-token"
PASSWORD = "outage bench password"


@dataclass
class Answer:
    kind: str
    sent: float  # monotonic
    seconds: float
    status: int  # 0: no answer (client timeout or connection error)
    retry_after: str | None = None
    problem: bool = False


@dataclass
class Run:
    answers: list[Answer] = field(default_factory=list)
    accepted: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (lead id, email)
    refused: dict[str, str] = field(default_factory=dict)  # key -> email, for 503 answers
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)


def timed(client: httpx.Client, kind: str, method: str, path: str, **kwargs: Any
          ) -> tuple[Answer, httpx.Response | None]:
    started = time.monotonic()
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError:
        return Answer(kind, started, time.monotonic() - started, 0), None
    return Answer(kind, started, time.monotonic() - started, response.status_code,
                  response.headers.get("retry-after"),
                  response.headers.get("content-type", "").startswith(
                      "application/problem+json")), response


def paced(stop: threading.Event, interval: float, step: Any) -> None:
    while not stop.is_set():
        began = time.monotonic()
        step()
        stop.wait(max(0.0, interval - (time.monotonic() - began)))


def start_load(base: str, token: str, slug: str, lead_id: str, run: Run, stop: threading.Event,
               interval: float, timeout: float) -> list[threading.Thread]:
    auth = {"Authorization": f"Bearer {token}"}

    def reader(n: int) -> None:
        with httpx.Client(base_url=base, headers=auth, timeout=timeout) as client:
            def step() -> None:
                path = f"/v1/leads/{lead_id}" if n == 0 else "/v1/leads?limit=20"
                run.add(timed(client, "read", "GET", path)[0])
            paced(stop, interval, step)

    def writer(n: int) -> None:
        with httpx.Client(base_url=base, headers=auth, timeout=timeout) as client:
            count = 0

            def step() -> None:
                nonlocal count
                count += 1
                key = f"w{n}-{count}-{uuid.uuid4().hex[:8]}"
                email = f"{key}@outage.example"
                answer, response = timed(client, "write", "POST", "/v1/leads",
                                         json={"email": email, "source": "web"},
                                         headers={"Idempotency-Key": key})
                run.add(answer)
                if response is not None and response.status_code == 201:
                    with run.lock:
                        run.accepted[key] = (response.json()["id"], email)
                elif answer.status == 503:
                    with run.lock:
                        run.refused[key] = email
            paced(stop, interval, step)

    def logger_in() -> None:
        with httpx.Client(base_url=base, timeout=timeout) as client:
            def step() -> None:
                run.add(timed(client, "login", "POST", "/v1/auth/login", json={
                    "tenant": slug, "email": f"a@{slug}.example", "password": PASSWORD})[0])
            paced(stop, interval * 4, step)

    threads = [threading.Thread(target=reader, args=(0,)),
               threading.Thread(target=reader, args=(1,)),
               threading.Thread(target=writer, args=(0,)),
               threading.Thread(target=writer, args=(1,)),
               threading.Thread(target=logger_in)]
    for thread in threads:
        thread.start()
    return threads


def figures(samples: list[float]) -> str:
    if not samples:
        return "none"
    return (f"n={len(samples):5d}  p50 {percentile(samples, 50) * 1000:8.1f} ms  "
            f"p95 {percentile(samples, 95) * 1000:8.1f} ms  max {max(samples) * 1000:8.1f} ms")


def crash(server: Any) -> None:
    from adapters.postgres.embedded import pg_ctl

    pg_ctl(server, "-w", "-m", "immediate", "stop")


def read_back(client: httpx.Client, lead_id: str) -> bool:
    history = client.get(f"/v1/leads/{lead_id}/events")
    return history.status_code == 200 and history.json()["items"][0]["type"] == "LeadCaptured"


def events_in_database(owner_url: str, lead_ids: list[str]) -> int:
    """Leads among ``lead_ids`` with a stored event, read as the owner (a superuser on the
    embedded server, so every tenant's rows)."""
    import psycopg

    with psycopg.connect(owner_url) as conn:
        row = conn.execute("SELECT count(DISTINCT originator_id) FROM events "
                           "WHERE originator_id = ANY(%s::uuid[])", (lead_ids,)).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage-seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--after-seconds", type=float, default=15.0,
                        help="load kept on after the first successful write")
    parser.add_argument("--interval", type=float, default=0.1,
                        help="seconds between one client's requests")
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout")
    args = parser.parse_args()

    from adapters.postgres.embedded import start_server

    with tempfile.TemporaryDirectory(prefix="frontdesk-outage-") as tmp:
        server = start_server(Path(tmp) / "pg", cleanup_mode="delete")
        try:
            measure(server, args, Path(tmp))
        finally:
            server.cleanup()


def measure(server: Any, args: argparse.Namespace, tmp: Path) -> None:
    owner_url = server.get_uri("postgres")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": owner_url, "ADMIN_API_TOKEN": ADMIN,
           "FRONTDESK_PORT": str(port), "FRONTDESK_LOG_LEVEL": "WARNING",
           "FRONTDESK_RATE_LIMIT_PER_IP": "0", "FRONTDESK_RATE_LIMIT_PER_TENANT": "0"}
    subprocess.run([str(ROOT / ".venv/bin/frontdesk"), "migrate"], env=env, check=True,
                   capture_output=True, timeout=300, cwd=ROOT)
    log_path = tmp / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(ROOT / ".venv/bin/frontdesk"), "serve"], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("frontdesk serve did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.2)
        outage(base, owner_url, server, args)
    finally:
        stop_process(process)


def outage(base: str, owner_url: str, server: Any, args: argparse.Namespace) -> None:
    slug = f"outage-{uuid.uuid4().hex[:6]}"
    httpx.post(f"{base}/v1/admin/tenants", headers={"Authorization": f"Bearer {ADMIN}"},
               json={"name": "Outage", "slug": slug, "admin_email": f"a@{slug}.example",
                     "admin_password": PASSWORD}).raise_for_status()
    login = httpx.post(f"{base}/v1/auth/login", json={
        "tenant": slug, "email": f"a@{slug}.example", "password": PASSWORD})
    login.raise_for_status()
    token = login.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    first = httpx.post(f"{base}/v1/leads", headers=auth,
                       json={"email": f"first@{slug}.example", "source": "web"})
    first.raise_for_status()

    run, stop = Run(), threading.Event()
    print(f"load: 2 readers and 2 writers every {args.interval:g} s, a login every "
          f"{args.interval * 4:g} s; baseline {args.baseline_seconds:g} s, outage "
          f"{args.outage_seconds:g} s (pg_ctl stop -m immediate)", flush=True)
    threads = start_load(base, token, slug, first.json()["id"], run, stop, args.interval,
                         args.timeout)
    try:
        time.sleep(args.baseline_seconds)
        crashed = time.monotonic()
        crash(server)
        time.sleep(args.outage_seconds)
        server.ensure_postgres_running()
        restarted = time.monotonic()
        print(f"PostgreSQL down for {restarted - crashed:.1f} s; restarted", flush=True)
        ready_at = None
        deadline = restarted + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health/ready", timeout=10).status_code == 200:
                    ready_at = time.monotonic()
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        while time.monotonic() < deadline:
            with run.lock:
                done = any(a.kind == "write" and a.status == 201 and a.sent >= restarted
                           for a in run.answers)
            if done:
                break
            time.sleep(0.2)
        time.sleep(args.after_seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=args.timeout + 5)
    report(base, auth, owner_url, run, crashed, restarted, ready_at)


def report(base: str, auth: dict[str, str], owner_url: str, run: Run, crashed: float,
           restarted: float, ready_at: float | None) -> None:
    kinds = ("read", "write", "login")
    print("\nbaseline, before the outage (2xx answers):")
    for kind in kinds:
        before = [a.seconds for a in run.answers
                  if a.kind == kind and a.sent < crashed and 200 <= a.status < 300]
        print(f"  {kind:6s} {figures(before)}")
    during = [a for a in run.answers if crashed <= a.sent < restarted]
    print("\nduring the outage (requests sent while PostgreSQL was down):")
    for kind in kinds:
        mine = [a for a in during if a.kind == kind]
        statuses: dict[int, int] = {}
        for a in mine:
            statuses[a.status] = statuses.get(a.status, 0) + 1
        print(f"  {kind:6s} answers {dict(sorted(statuses.items()))}")
        print(f"  {kind:6s} 503 latency {figures([a.seconds for a in mine if a.status == 503])}")
    bad = [a for a in during if a.status == 503 and (not a.retry_after or not a.problem)]
    print(f"  503s without Retry-After or problem+json: {len(bad)}")
    slow = [a for a in during if a.seconds > 2.0]
    print(f"  answers slower than 2 s: {len(slow)} of {len(during)}")
    print("\nafter the restart (seconds from PostgreSQL accepting connections):")
    for kind in kinds:
        ok = [a for a in run.answers if a.kind == kind and a.sent >= restarted
              and 200 <= a.status < 300]
        first = min((a.sent + a.seconds for a in ok), default=None)
        print(f"  first {kind:6s} success: "
              + (f"{first - restarted:6.2f} s" if first else "never"))
    print("  /health/ready 200:      "
          + (f"{ready_at - restarted:6.2f} s" if ready_at else "never"))
    after = [a for a in run.answers if a.sent >= restarted]
    print(f"  answers after the restart: {len(after)}, of which 503: "
          f"{sum(a.status == 503 for a in after)}, other 5xx or none: "
          f"{sum(a.status == 0 or (a.status >= 500 and a.status != 503) for a in after)}")

    ids = [lead for lead, _ in run.accepted.values()]
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
        histories = sum(read_back(client, lead) for lead in ids)
        stored = events_in_database(owner_url, ids)
        print(f"\nwrites accepted (201): {len(ids)}; with their LeadCaptured history read back: "
              f"{histories}; with events in the database: {stored} -> "
              + ("every accepted write is there" if histories == stored == len(ids)
                 else "LOST WRITES"))
        applied_anyway = 0
        for email in run.refused.values():
            again = client.post("/v1/leads", json={"email": email, "source": "web"},
                                headers={"Idempotency-Key": uuid.uuid4().hex})
            applied_anyway += again.status_code == 409
        print(f"writes answered 503: {len(run.refused)}; sent again with a new key, found "
              f"already applied (409 duplicate): {applied_anyway}")


if __name__ == "__main__":
    main()
