"""(e) Routing.

(e1) Routing decisions per second of the pure routing service with 200 agents and 5,000 waiting
     tasks (3 queues, one per strategy; skills, two channels), against a straightforward
     router measured in the same run (every task checks every agent with ``refusal``, no early
     exit) as the baseline.
(e2) End-to-end latency through the API, task creation to reservation, with `frontdesk serve`
     as configured by default (routing on arrival in the creating commit, the background
     dispatcher in-process): POST a task, then poll GET /v1/tasks/{id}/events (read from the
     log, always current) until TaskReserved appears; and, separately, until GET
     /v1/tasks/{id} (the read model) shows it reserved. Baseline in the same run: POST a task
     to a queue nobody can serve and poll until the read model shows it queued (the write and
     projection pipeline alone).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from bench.common import percentile

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SKILLS = ("sales", "support", "vip", "spanish", "billing")
STRATEGIES = ("longest_idle", "round_robin", "priority")


def scenario(agents: int = 200, tasks: int = 5000, seed: int = 7) -> tuple[Any, Any, Any]:
    from domain.contact_center import AgentState, QueueRouting, WaitingTask

    rng = random.Random(seed)
    queues = {UUID(int=n + 1): QueueRouting(UUID(int=n + 1), STRATEGIES[n]) for n in range(3)}
    staff = [AgentState(uuid4(), "available",
                        {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(1, 3))},
                        {"voice": 1, "webchat": 2}, {}, NOW - timedelta(seconds=rng.randint(
                            0, 3600)), (f"{n:04d}", str(n))) for n in range(agents)]
    waiting = [WaitingTask(uuid4(), rng.choice(list(queues)),
                           "voice" if rng.random() < 0.7 else "webchat",
                           rng.choice([0, 0, 0, 5]), NOW - timedelta(seconds=rng.randint(0, 900)),
                           {rng.choice(SKILLS): rng.randint(1, 3)}) for _ in range(tasks)]
    return staff, waiting, queues


def naive_route(tasks: Any, agents: Any, queues: Any, now: datetime) -> list[tuple[Any, Any]]:
    """The baseline: in service order, every task asks every agent (``refusal``) and takes the
    longest idle of those who may; loads are rebuilt as it goes."""
    from domain.contact_center import AgentState, refusal

    load = {a.id: dict(a.load) for a in agents}
    idle = {a.id: a.idle_since for a in agents}
    made = []
    for task in sorted(tasks, key=lambda t: t.sort_key()):
        candidates = [a for a in agents if refusal(AgentState(
            a.id, a.presence, a.skills, a.capacity, load[a.id], idle[a.id], a.rank,
            a.schedule), task, now) is None]
        if not candidates:
            continue
        chosen = min(candidates, key=lambda a: (sum(load[a.id].values()), idle[a.id]))
        load[chosen.id][task.channel] = load[chosen.id].get(task.channel, 0) + 1
        idle[chosen.id] = now
        made.append((task.id, chosen.id))
    return made


def decisions_per_second(router: Any, seconds: float) -> tuple[float, int]:
    staff, waiting, queues = scenario()
    decisions = rounds = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        decisions += len(router(waiting, staff, queues, NOW))  # every agent free again
        rounds += 1
    return decisions / (time.perf_counter() - started), decisions // max(rounds, 1)


def run_routing(seconds: float = 3.0) -> dict[str, float]:
    from domain.contact_center import route

    rate, per_pass = decisions_per_second(route, seconds)
    baseline, _ = decisions_per_second(naive_route, seconds)
    return {"route": rate, "naive": baseline, "per_pass": per_pass}


# -- (e2) end to end through the API -----------------------------------------------------------

def _poll(client: httpx.Client, path: str, headers: dict[str, str], until: Any,
          timeout: float = 10.0) -> float:
    deadline = time.perf_counter() + timeout
    while True:
        response = client.get(path, headers=headers)
        if response.status_code == 200 and until(response.json()):
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting on {path}: {response.text}")
        time.sleep(0.0005)


def run_latency(owner_url: str, *, samples: int = 200, agents: int = 10) -> dict[str, Any]:
    from bench.common import ROOT
    from bench.http_load import free_port, login, start_server, stop_process

    port = free_port()
    log = ROOT / ".data" / "bench-routing-server.log"
    server = start_server(owner_url, port, 1, log)
    base = f"http://127.0.0.1:{port}"
    try:
        token = login(base)
        auth = {"Authorization": f"Bearer {token}"}
        client = httpx.Client(base_url=base, timeout=10)
        queue = client.post("/v1/queues", headers=auth, json={
            "name": "Bench", "required_skills": {"sales": 1}, "target_answer_seconds": 30,
            "target_percentage": 80, "max_hold_seconds": 600}).json()
        for n in range(agents):
            agent = client.post("/v1/agents", headers=auth, json={
                "name": f"Agent {n}", "skills": {"sales": 1}, "capacity": {"voice": 1}}).json()
            client.post(f"/v1/agents/{agent['id']}/status", headers=auth,
                        json={"status": "available"})
        routed: list[float] = []
        shown: list[float] = []
        visible: list[float] = []

        def reserved_event(history: Any) -> bool:
            return any(e["type"] == "TaskReserved" for e in history["items"])

        for n in range(samples + 20):  # the first 20 warm up
            started = time.perf_counter()
            task = client.post(f"/v1/queues/{queue['id']}/tasks", headers=auth,
                               json={"channel": "voice"}).json()
            path = f"/v1/tasks/{task['id']}"
            committed = _poll(client, f"{path}/events", auth, reserved_event)
            seen = _poll(client, path, auth, lambda t: t["status"] == "reserved")
            if n >= 20:
                routed.append((committed - started) * 1000)
                shown.append((seen - started) * 1000)
            client.post(f"{path}/accept", headers=auth)
            client.post(f"{path}/complete", headers=auth, json={"disposition": "SALE"})
        # Baseline: the same write and read-model pipeline, with no agent to route to.
        nobody = client.post("/v1/queues", headers=auth, json={
            "name": "Nobody", "required_skills": {"nobody": 1}, "target_answer_seconds": 30,
            "target_percentage": 80, "max_hold_seconds": 600}).json()
        for n in range(samples + 20):
            started = time.perf_counter()
            task = client.post(f"/v1/queues/{nobody['id']}/tasks", headers=auth,
                               json={"channel": "voice"}).json()
            seen = _poll(client, f"/v1/tasks/{task['id']}", auth,
                         lambda t: t["status"] == "queued")
            if n >= 20:
                visible.append((seen - started) * 1000)
    finally:
        stop_process(server)

    def summary(values: list[float]) -> dict[str, float]:
        return {"p50_ms": statistics.median(values), "p95_ms": percentile(values, 95),
                "p99_ms": percentile(values, 99), "max_ms": max(values)}

    return {"routed": summary(routed), "shown": summary(shown), "visible": summary(visible),
            "samples": samples}


if __name__ == "__main__":
    import json
    import sys

    from bench.common import ROOT, bench_database

    sys.path.insert(0, str(ROOT))
    print(json.dumps(run_routing(), indent=2))
    print(json.dumps(run_latency(bench_database("frontdesk_bench_routing")), indent=2))
