"""(h) Live event streams: ``streams`` open ``GET /v1/stream`` connections on one tenant while
a writer commits leads at a steady rate, against `frontdesk serve` in the production layout
(API process + `frontdesk worker`).

The writer commits through its own application layer (as another API process would), so the
API process under measure does nothing but serve the streams: it hears the commits by NOTIFY.
Printed: events delivered per second across the streams, the API process's CPU time per
delivered event (user + system, from /proc), and commit -> arrival on the streams; beside it,
as the baseline measured in the same run with no stream open, commit -> visible through GET
polling of the aggregate (read model, projections in the worker)."""

from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
import uuid
from typing import Any

import httpx

from bench.common import percentile

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def _writer(container: Any, tenant_id: uuid.UUID, rate: float, seconds: float,
            committed: dict[str, float], stop: threading.Event) -> None:
    """CaptureLead (two events per commit) at ``rate`` commits/s; records when each lead's
    commit returned, by lead id."""
    from application.bus import Executed
    from application.leads.commands import CaptureLead
    from application.ports import CommandContext

    bus, ctx = container.bus(), CommandContext(tenant_id=tenant_id, actor="bench")
    started = time.perf_counter()
    n = 0
    while not stop.is_set() and time.perf_counter() - started < seconds:
        due = started + n / rate
        if (wait := due - time.perf_counter()) > 0:
            time.sleep(wait)
        outcome = bus.execute(CaptureLead(
            name="Stream Person", email=f"{uuid.uuid4().hex}@bench.example", phone=None,
            source="bench", campaign="streams", channel="web", notes=None), ctx)
        assert isinstance(outcome, Executed)
        committed[str(outcome.result.lead.id)] = time.perf_counter()
        n += 1


async def _streams(base: str, token: str, count: int, arrivals: list[tuple[str, float]],
                   delivered: list[int], opened: threading.Event, done: asyncio.Event) -> int:
    """Hold ``count`` streams; count every event delivered on each, and record (lead id,
    arrival) of each LeadCaptured."""
    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=0)
    ready = 0

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal ready
        async with client.stream("GET", "/v1/stream",
                                 headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status_code == 200, response.status_code
            async for line in response.aiter_lines():
                if line.startswith("event: ready"):
                    ready += 1
                    if ready == count:
                        opened.set()
                elif line.startswith("data: ") and '"type":"' in line:  # not `ready`
                    delivered[0] += 1
                    if '"type":"LeadCaptured"' in line:
                        lead = line.partition('"aggregate_id":"')[2][:36]
                        arrivals.append((lead, time.perf_counter()))

    async with httpx.AsyncClient(base_url=base, limits=limits,
                                 timeout=httpx.Timeout(30.0, read=None)) as client:
        tasks = [asyncio.create_task(one(client)) for _ in range(count)]
        await done.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return ready


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "max_ms": float("nan")}
    return {"p50_ms": statistics.median(values), "p95_ms": percentile(values, 95),
            "max_ms": max(values)}


def run(owner_url: str, *, streams: int = 200, rate: float = 25.0, seconds: float = 10.0,
        samples: int = 100) -> dict[str, Any]:
    from application.leads.commands import CaptureLead
    from application.ports import CommandContext
    from bench.common import ROOT, build_container
    from bench.http_load import free_port, login, start_service, stop_process

    port = free_port()
    server, worker = start_service(owner_url, port, 1, "bench-streams", separate_worker=True,
                                   extra_env={"FRONTDESK_STREAMS_PER_TENANT": str(streams + 10)})
    base = f"http://127.0.0.1:{port}"
    container = build_container(owner_url)
    try:
        token = login(base)
        tenant_id = _tenant_of(container, token)
        committed: dict[str, float] = {}
        arrivals: list[tuple[str, float]] = []
        delivered = [0]
        opened = threading.Event()
        loop = asyncio.new_event_loop()
        done = asyncio.Event()
        holder = threading.Thread(target=lambda: loop.run_until_complete(
            _streams(base, token, streams, arrivals, delivered, opened, done)), daemon=True)
        holder.start()
        if not opened.wait(120):
            raise SystemExit(f"{streams} streams did not open; see {ROOT}/.data")
        stop = threading.Event()
        cpu_before, wall_before = cpu_seconds(server.pid), time.perf_counter()
        _writer(container, tenant_id, rate, seconds, committed, stop)
        deadline = time.monotonic() + 30  # let the last commits arrive everywhere
        while time.monotonic() < deadline and len(arrivals) < len(committed) * streams:
            time.sleep(0.05)
        wall = time.perf_counter() - wall_before
        cpu = cpu_seconds(server.pid) - cpu_before
        loop.call_soon_threadsafe(done.set)
        holder.join(timeout=30)
        latencies = [(at - committed[lead]) * 1000 for lead, at in arrivals if lead in committed]
        first: dict[str, float] = {}
        for lead, at in arrivals:
            first[lead] = min(at, first.get(lead, at))
        firsts = [(at - committed[lead]) * 1000 for lead, at in first.items() if lead in committed]
        events = delivered[0]

        # Baseline: the same commits, no stream open; each polled until the read model shows it.
        client = httpx.Client(base_url=base, timeout=10,
                              headers={"Authorization": f"Bearer {token}"})
        visible: list[float] = []
        ctx = CommandContext(tenant_id=tenant_id, actor="bench")
        for _ in range(samples + 10):  # the first 10 warm up
            outcome: Any = container.bus().execute(CaptureLead(
                name="Polled Person", email=f"{uuid.uuid4().hex}@bench.example", phone=None,
                source="bench", campaign="poll", channel="web", notes=None), ctx)
            started = time.perf_counter()
            while client.get(f"/v1/leads/{outcome.result.lead.id}").status_code != 200:
                time.sleep(0.0005)
            visible.append((time.perf_counter() - started) * 1000)
        visible = visible[10:]
    finally:
        stop_process(server)
        stop_process(worker)
        container.datastore().close()
        container.worker_pool().close()
    return {"streams": streams, "commits": len(committed), "events_committed":
            len(committed) * 2, "events_delivered": events, "seconds": wall,
            "delivered_per_s": events / wall, "cpu_s": cpu,
            "cpu_us_per_event": cpu / events * 1e6 if events else float("nan"),
            "arrival": _summary(latencies), "first_arrival": _summary(firsts),
            "polled": _summary(visible)}


def _tenant_of(container: Any, token: str) -> uuid.UUID:
    verified = container.identity.tokens().verify(token)
    return uuid.UUID(str(verified.tenant_id))


def print_report(h: dict[str, Any]) -> None:
    arrival, polled = h["arrival"], h["polled"]
    print(f"\n(h) Live event streams: {h['streams']} open GET /v1/stream on one tenant, a writer "
          f"committing {h['commits'] / h['seconds']:.0f} leads/s (2 events each) from another "
          "process; production layout (API + worker)")
    print(f"    events delivered across the streams   {h['delivered_per_s']:10.0f} /s  "
          f"({h['events_delivered']} deliveries of {h['events_committed']} events committed "
          f"while the {h['streams']} streams were open)")
    print(f"    API process CPU per delivered event   {h['cpu_us_per_event']:10.1f} us  "
          f"({h['cpu_s']:.2f} s CPU in {h['seconds']:.1f} s)")
    first = h["first_arrival"]
    print(f"    commit -> arrival, first of the streams  p50 {first['p50_ms']:6.1f} ms  "
          f"p95 {first['p95_ms']:6.1f} ms  max {first['max_ms']:6.1f} ms")
    print(f"    commit -> arrival, every stream          p50 {arrival['p50_ms']:6.1f} ms  "
          f"p95 {arrival['p95_ms']:6.1f} ms  max {arrival['max_ms']:6.1f} ms  (one client "
          "process reads all the streams)")
    print(f"    commit -> visible by GET polling (baseline, no stream open)  p50 "
          f"{polled['p50_ms']:6.1f} ms  p95 {polled['p95_ms']:6.1f} ms")


if __name__ == "__main__":
    from bench.common import bench_database

    print_report(run(bench_database("frontdesk_bench_streams")))
