"""(a) Commands per second through the application layer (CaptureLead: a new contact and a
lead, personal data encrypted, three unique claims), against raw single-row INSERT transactions
into a table of the events table's shape, on the same database, in the same run."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg

from bench.common import median


def raw_insert_rate(owner_url: str, clients: int, seconds: float) -> float:
    """Durable single-row INSERT transactions per second (autocommit, one row each)."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_events")
        conn.execute("CREATE TABLE bench_raw_events (LIKE events INCLUDING DEFAULTS "
                     "INCLUDING INDEXES)")
    state = os.urandom(300)
    counts = [0] * clients
    stop = threading.Event()

    def client(n: int) -> None:
        with psycopg.connect(owner_url, autocommit=True) as conn:
            tenant = uuid.uuid4()
            while not stop.is_set():
                conn.execute(
                    "INSERT INTO bench_raw_events (tenant_id, originator_id, originator_version, "
                    "topic, state, subject_id, occurred_at) VALUES (%s, %s, 1, %s, %s, %s, %s)",
                    (tenant, uuid.uuid4(), "bench:Raw", state, uuid.uuid4(),
                     datetime.now(UTC)), prepare=True)
                counts[n] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_raw_events")
    return sum(counts) / seconds


def command_rate(container: Any, tenant_id: uuid.UUID, clients: int, seconds: float) -> float:
    from application.bus import Executed
    from application.leads.commands import CaptureLead
    from application.ports import CommandContext

    bus = container.bus()
    ctx = CommandContext(tenant_id=tenant_id, actor="bench")
    counts = [0] * clients
    stop = threading.Event()

    def client(n: int) -> None:
        while not stop.is_set():
            email = f"{uuid.uuid4().hex}@bench.example"
            outcome = bus.execute(CaptureLead(
                name="Bench Person", email=email, phone=None, source="bench",
                campaign="speed", channel="web", notes="benchmark lead"), ctx)
            assert isinstance(outcome, Executed)
            counts[n] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def _process_client(owner_url: str, tenant_id: str, seconds: float, threads: int, ready: Any,
                    go: Any, results: Any) -> None:
    """One client process: its own application layer (pools, group committer), as one API
    worker process would have."""
    from bench.common import build_container

    container = build_container(owner_url)
    command_rate(container, uuid.UUID(tenant_id), 1, 0.5)  # warm-up
    ready.wait()
    go.wait()
    results.put(command_rate(container, uuid.UUID(tenant_id), threads, seconds))


def process_rate(owner_url: str, tenant_id: uuid.UUID, clients: int, seconds: float, *,
                 threads: int = 1) -> float:
    """``clients`` processes with ``threads`` client threads each."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    ready, go = spawn.Barrier(clients + 1), spawn.Event()
    results = spawn.Queue()
    workers = [spawn.Process(target=_process_client,
                             args=(owner_url, str(tenant_id), seconds, threads, ready, go,
                                   results))
               for _ in range(clients)]
    for worker in workers:
        worker.start()
    ready.wait()
    go.set()
    rates = [results.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    return float(sum(rates))


def run(container: Any, owner_url: str, tenant_id: uuid.UUID, *, seconds: float = 5.0,
        rounds: int = 3) -> dict[str, float]:
    """Interleaved rounds; medians reported (these machines are noisy).

    ``cmd_8t``: 8 client threads in one process (one API worker; Python's GIL caps it near one
    core); ``cmd_2x4``: 8 clients as 2 processes of 4 threads (two API workers, the shape
    `frontdesk serve --workers 2` runs on a 2-core machine).
    """
    command_rate(container, tenant_id, 1, 1.0)  # warm-up: pools, prepared statements
    results: dict[str, list[float]] = {"raw_1": [], "cmd_1": [], "raw_8": [], "cmd_8t": [],
                                       "cmd_2x4": []}
    for _ in range(rounds):
        results["raw_1"].append(raw_insert_rate(owner_url, 1, seconds))
        results["cmd_1"].append(command_rate(container, tenant_id, 1, seconds))
        results["raw_8"].append(raw_insert_rate(owner_url, 8, seconds))
        results["cmd_8t"].append(command_rate(container, tenant_id, 8, seconds))
        results["cmd_2x4"].append(process_rate(owner_url, tenant_id, 2, seconds, threads=4))
    return {k: median(v) for k, v in results.items()}
