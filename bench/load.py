"""`make bench-load`: a contact center's mixed traffic against `frontdesk serve --workers 2` on
loopback, and 1,000 idle keep-alive connections held while a probe is still answered.

`make bench-load` runs the runbook's production layout: the API processes serve, a
`frontdesk worker` beside them runs the projections and policies (`--separate-worker`; its CPU
is counted with the server's, and the projections' backlog at the end of the run is printed).
Without the flag (`make bench-load BENCH_LOAD_ARGS=`) the API processes run them too, as
`make run` does.

Mixed workload (wrk + Lua, 2 threads, 32 connections by default, 60 s): 70% reads (lead list
and lead, case list and case, conversation, task list, supervisor overview) and 30% commands
(capture a lead with a new email, a customer's message in a conversation, an inbound call as a
task in a queue, open a case, re-quote a case). The tenant is seeded through the API first:
300 leads (and their contacts), a conversation and a case per contact, a queue and 10 agents.
Every request is meant to succeed: a conversation or case is written to by one wrk thread only,
round robin over its share, so two writes to one aggregate never race (no If-Match needed).

Printed beside it, measured in the same run: GET /health with the same client and connections
(the framework and the machine, no database), and the read share alone.

Targets on a 2-core machine: >= 500 requests/s, p95 < 200 ms, zero errors; 1,000 idle
connections held with the probe answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_database, one_scheduling_group, percentile  # noqa: E402
from bench.http_load import (  # noqa: E402
    ensure_wrk,
    free_port,
    login,
    pending_events,
    raise_open_files,
    start_service,
    stop_process,
    wait_caught_up,
)

READS = {
    "GET /v1/leads": 12,
    "GET /v1/leads/{id}": 12,
    "GET /v1/cases": 8,
    "GET /v1/cases/{id}": 8,
    "GET /v1/conversations/{id}": 12,
    "GET /v1/tasks": 10,
    "GET /v1/supervisor/overview": 8,
}
COMMANDS = {
    "POST /v1/leads": 9,
    "POST /v1/conversations/{id}/messages": 9,
    "POST /v1/queues/{id}/tasks": 6,
    "POST /v1/cases": 3,
    "POST /v1/cases/{id}/quote": 3,
}
HEALTH = {"GET /health": 1}
THREADS = 2
KEEP_ALIVE = 120  # seconds the bench server keeps an idle connection (the idle test holds less)

LUA = r"""
local AUTH = "Bearer " .. TOKEN
local GET = {["Authorization"] = AUTH}
local SEND = {["Authorization"] = AUTH, ["Content-Type"] = "application/json"}
local registered = {}

setup = function(thread)
  thread:set("tid", #registered)
  registered[#registered + 1] = thread
end

-- Globals, so that done() can read them from each thread.
counts, statuses, samples = {}, {}, {}
local plan, cursor, serial, turn, own = {}, 0, 0, {}, {}

local function share(list)  -- the ids this thread alone writes to
  local out = {}
  for i = tid + 1, #list, THREADS do out[#out + 1] = list[i] end
  return out
end

local function any(list) return list[math.random(#list)] end

local function next_of(name)  -- round robin over this thread's share
  local list = own[name]
  turn[name] = (turn[name] or 0) % #list + 1
  return list[turn[name]]
end

init = function(args)
  math.randomseed(7919 * (tid + 1))
  for _, w in ipairs(WEIGHTS) do
    for _ = 1, w[2] do plan[#plan + 1] = w[1] end
  end
  for i = #plan, 2, -1 do
    local j = math.random(i)
    plan[i], plan[j] = plan[j], plan[i]
  end
  own = {conversations = share(CONVERSATIONS), cases = share(CASES)}
end

local OPS = {
  ["GET /health"] = function() return wrk.format("GET", "/health") end,
  ["GET /v1/leads"] = function()
    return wrk.format("GET", "/v1/leads?limit=20", GET) end,
  ["GET /v1/leads/{id}"] = function()
    return wrk.format("GET", "/v1/leads/" .. any(LEADS), GET) end,
  ["GET /v1/cases"] = function()
    return wrk.format("GET", "/v1/cases?limit=20", GET) end,
  ["GET /v1/cases/{id}"] = function()
    return wrk.format("GET", "/v1/cases/" .. any(CASES), GET) end,
  ["GET /v1/conversations/{id}"] = function()
    return wrk.format("GET", "/v1/conversations/" .. any(CONVERSATIONS), GET) end,
  ["GET /v1/tasks"] = function()
    return wrk.format("GET", "/v1/tasks?limit=20", GET) end,
  ["GET /v1/supervisor/overview"] = function()
    return wrk.format("GET", "/v1/supervisor/overview", GET) end,
  ["POST /v1/leads"] = function()
    serial = serial + 1
    return wrk.format("POST", "/v1/leads", SEND, string.format(
      '{"name": "Caller %d", "email": "%s-t%d-%d@load.example", "source": "phone", '
      .. '"campaign": "load", "channel": "phone", "notes": "Asks about opening hours"}',
      serial, RUN, tid, serial))
  end,
  ["POST /v1/conversations/{id}/messages"] = function()
    serial = serial + 1
    return wrk.format("POST", "/v1/conversations/" .. next_of("conversations") .. "/messages",
      SEND, string.format('{"author": "customer", "body": "Is Thursday at %d still free?"}',
                          serial % 12 + 8))
  end,
  ["POST /v1/queues/{id}/tasks"] = function()
    serial = serial + 1
    return wrk.format("POST", "/v1/queues/" .. QUEUE .. "/tasks", SEND, string.format(
      '{"channel": "voice", "title": "Inbound call", "contact_id": "%s", '
      .. '"source": {"kind": "inbound_call", "id": "CA%s-t%d-%d"}}',
      any(CONTACTS), RUN, tid, serial))
  end,
  ["POST /v1/cases"] = function()
    return wrk.format("POST", "/v1/cases", SEND, string.format(
      '{"contact_id": "%s", "kind": "treatment_plan", "title": "Check-up and cleaning"}',
      any(CONTACTS)))
  end,
  ["POST /v1/cases/{id}/quote"] = function()
    serial = serial + 1
    return wrk.format("POST", "/v1/cases/" .. next_of("cases") .. "/quote", SEND,
      string.format('{"currency": "EUR", "valid_until": "2099-12-31", "line_items": ['
        .. '{"description": "Whitening session", "quantity": %d, "unit_amount": 25000}, '
        .. '{"description": "Check-up", "quantity": 1, "unit_amount": 7550}]}',
        serial % 3 + 1))
  end,
}

request = function()
  cursor = cursor % #plan + 1
  local op = plan[cursor]
  counts[op] = (counts[op] or 0) + 1
  return OPS[op]()
end

response = function(status, headers, body)
  if status >= 400 then
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
    if samples[key] == nil then samples[key] = string.sub(body or "", 1, 300) end
  end
end

local function quote(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

local function object(map)
  local parts = {}
  for k, v in pairs(map) do
    parts[#parts + 1] = quote(k) .. ": " .. (type(v) == "number" and string.format("%d", v)
                                             or quote(v))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

done = function(summary, latency, requests)
  local ops, codes, bodies = {}, {}, {}
  for _, thread in ipairs(registered) do
    for k, v in pairs(thread:get("counts")) do ops[k] = (ops[k] or 0) + v end
    for k, v in pairs(thread:get("statuses")) do codes[k] = (codes[k] or 0) + v end
    for k, v in pairs(thread:get("samples")) do bodies[k] = v end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "seconds": %.2f, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, '
    .. '"p99_ms": %.2f, "max_ms": %.2f, "errors": %d, "connect_errors": %d, '
    .. '"read_errors": %d, "write_errors": %d, "timeouts": %d, "non_2xx": %d, '
    .. '"issued": %s, "statuses": %s, "samples": %s}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout + e.status, e.connect, e.read, e.write,
    e.timeout, e.status, object(ops), object(codes), object(bodies)))
end
"""


# -- seeding through the API -------------------------------------------------------------------

class Seeder:
    """Creates the tenant's data with the API itself; remembers the highest write position so
    the timed run starts only once every read model has it."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=30,
                                   headers={"Authorization": f"Bearer {token}"},
                                   limits=httpx.Limits(max_connections=8))
        self.position = 0
        self._lock = threading.Lock()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body)
        if response.status_code >= 300:
            raise SystemExit(f"seeding: POST {path} -> {response.status_code} {response.text}")
        with self._lock:
            self.position = max(self.position,
                                int(response.headers.get("x-frontdesk-position", 0)))
        return response.json()  # type: ignore[no-any-return]

    def wait_for_read_models(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        paths = ["/v1/leads?limit=1", "/v1/cases?limit=1", "/v1/conversations?limit=1",
                 "/v1/tasks?limit=1", "/v1/supervisor/overview"]
        while paths:
            response = self.client.get(paths[0], headers={
                "X-Frontdesk-Min-Position": str(self.position)})
            if response.headers.get("x-frontdesk-consistency") == "consistent":
                paths.pop(0)
            elif time.monotonic() > deadline:
                raise SystemExit(f"read models did not catch up: {paths[0]}")


def seed(base: str, token: str, *, leads: int = 300, agents: int = 10,
         tasks: int = 50) -> dict[str, Any]:
    started = time.perf_counter()
    s = Seeder(base, token)
    queue = s.post("/v1/queues", {
        "name": "Inbound", "required_skills": {"sales": 1}, "target_answer_seconds": 30,
        "target_percentage": 80, "max_hold_seconds": 86_400,
        "reservation_timeout_seconds": 3600})
    for n in range(agents):
        agent = s.post("/v1/agents", {"name": f"Agent {n}", "skills": {"sales": 3},
                                      "capacity": {"voice": 1}})
        s.post(f"/v1/agents/{agent['id']}/status", {"status": "available"})

    def customer(n: int) -> dict[str, str]:
        lead = s.post("/v1/leads", {
            "name": f"Customer {n}", "email": f"customer-{n}@seed.example",
            "phone": f"+34 600 {n // 1000:03d} {n % 1000:03d}", "source": "web_form",
            "campaign": "spring", "channel": "web", "notes": "Asks about whitening"})
        contact = lead["contact_id"]
        conversation = s.post("/v1/conversations", {
            "contact_id": contact, "channel": "webchat", "subject": "Whitening enquiry"})
        for text in ("Hi, how much is teeth whitening?", "And do you open on Saturdays?"):
            s.post(f"/v1/conversations/{conversation['id']}/messages",
                   {"author": "customer", "body": text})
        case = s.post("/v1/cases", {"contact_id": contact, "lead_id": lead["id"],
                                    "kind": "treatment_plan", "title": "Whitening"})
        s.post(f"/v1/cases/{case['id']}/quote", {
            "currency": "EUR", "valid_until": "2099-12-31", "line_items": [
                {"description": "Whitening session", "quantity": 2, "unit_amount": 25000}]})
        return {"lead": lead["id"], "contact": contact, "conversation": conversation["id"],
                "case": case["id"]}

    with ThreadPoolExecutor(8) as pool:
        people = list(pool.map(customer, range(leads)))
        list(pool.map(lambda n: s.post(f"/v1/queues/{queue['id']}/tasks", {
            "channel": "voice", "title": "Callback", "contact_id": people[n]["contact"],
            "source": {"kind": "inbound_call", "id": f"seed-{n}"}}), range(tasks)))
    s.wait_for_read_models()
    s.client.close()
    return {"queue": queue["id"], "leads": [p["lead"] for p in people],
            "contacts": [p["contact"] for p in people],
            "conversations": [p["conversation"] for p in people],
            "cases": [p["case"] for p in people], "agents": agents, "tasks": tasks,
            "seconds": time.perf_counter() - started}


# -- the load ----------------------------------------------------------------------------------

def lua_list(values: list[str]) -> str:
    return "{" + ", ".join(f'"{v}"' for v in values) + "}"


# -- where the CPU went -------------------------------------------------------------------------

def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds of the server's processes, of the embedded PostgreSQL (when the bench runs
    on it), and of the whole machine: on a shared machine the rest is other work."""

    def __init__(self, server_pid: int, more: list[int] | None = None) -> None:
        self.server_pid, self.more = server_pid, more or []
        pidfile = ROOT / ".data" / "pg" / "postmaster.pid"
        self.postmaster: int | None = None
        if not os.environ.get("BENCH_DATABASE_URL") and pidfile.exists():
            self.postmaster = int(pidfile.read_text().split()[0])

    def snapshot(self) -> dict[str, float]:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        hz = os.sysconf("SC_CLK_TCK")
        return {"server": _cpu_seconds([p for pid in [self.server_pid, *self.more]
                                        for p in _tree(pid)]),
                "postgres": _cpu_seconds(_tree(self.postmaster)) if self.postmaster else 0.0,
                "machine_busy": (sum(ticks) - ticks[3] - ticks[4]) / hz,
                "machine_total": sum(ticks) / hz}


def cpu_use(before: dict[str, float], after: dict[str, float], client: float,
            requests: int) -> dict[str, float]:
    """Cores used on average during a run (CPU seconds per wall second), and per request."""
    wall = (after["machine_total"] - before["machine_total"]) / len(os.sched_getaffinity(0))
    used = {k: (after[k] - before[k]) / wall for k in ("server", "postgres", "machine_busy")}
    used["wrk"] = client / wall
    used["other"] = used["machine_busy"] - used["server"] - used["postgres"] - used["wrk"]
    used["server_ms_per_request"] = (after["server"] - before["server"]) / max(requests, 1) * 1e3
    used["postgres_ms_per_request"] = (after["postgres"] - before["postgres"]) \
        / max(requests, 1) * 1e3
    return used


def wrk(binary: str, base: str, token: str, data: dict[str, Any], weights: dict[str, int],
        seconds: int, connections: int, meter: CpuMeter | None = None) -> dict[str, Any]:
    header = (f'TOKEN = "{token}"\nRUN = "{uuid.uuid4().hex[:12]}"\nTHREADS = {THREADS}\n'
              f'QUEUE = "{data["queue"]}"\nLEADS = {lua_list(data["leads"])}\n'
              f'CONTACTS = {lua_list(data["contacts"])}\n'
              f'CONVERSATIONS = {lua_list(data["conversations"])}\n'
              f'CASES = {lua_list(data["cases"])}\n'
              "WEIGHTS = {" + ", ".join(f'{{"{k}", {v}}}' for k, v in weights.items()) + "}\n")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(header + LUA)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = meter.snapshot() if meter else None
    try:
        result = subprocess.run([binary, f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s",
                                 "--timeout", "5s", "-s", lua.name, base],
                                capture_output=True, text=True, check=False)
    finally:
        os.unlink(lua.name)
    after = meter.snapshot() if meter else None
    spent = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = spent.ru_utime + spent.ru_stime - children.ru_utime - children.ru_stime
    line = next((out for out in result.stdout.splitlines() if out.startswith("{")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {result.stdout}\n{result.stderr}")
    measured: dict[str, Any] = json.loads(line)
    if before is not None and after is not None:
        measured["cpu"] = cpu_use(before, after, client, measured["requests"])
    return measured


# -- idle connections --------------------------------------------------------------------------

async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


def established(port: int) -> int | None:
    """Established TCP connections to the server's port, as the kernel counts them."""
    try:
        out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return len(out.splitlines())


async def hold_idle(port: int, token: str, *, connections: int = 1000,
                    hold: float = 10.0) -> dict[str, Any]:
    """Open ``connections`` keep-alive connections, each answered once, leave them idle for
    ``hold`` seconds while a probe asks GET /health and a small lead list every 100 ms on its
    own connection, then ask again on every idle connection: those answered were held."""
    ask = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    opening = asyncio.Semaphore(100)

    async def open_one() -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        async with opening:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(ask)
                await writer.drain()
                if await asyncio.wait_for(_answer(reader), 10) == 200:
                    return reader, writer
                writer.close()
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                pass
            return None

    started = time.perf_counter()
    opened = [c for c in await asyncio.gather(*(open_one() for _ in range(connections))) if c]
    open_seconds = time.perf_counter() - started
    probes: dict[str, list[float]] = {"GET /health": [], "GET /v1/leads?limit=5": []}
    failures = 0
    kernel_counts: list[int] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline:
            for path in probes:
                headers = {} if path == "GET /health" else {"Authorization": f"Bearer {token}"}
                begun = time.perf_counter()
                try:
                    response = await client.get(path.split(" ", 1)[1], headers=headers)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    probes[path].append((time.perf_counter() - begun) * 1000)
                else:
                    failures += 1
            count = established(port)
            if count is not None:
                kernel_counts.append(count)
            await asyncio.sleep(0.1)

    async def ask_again(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> bool:
        reader, writer = conn
        try:
            writer.write(ask)
            await writer.drain()
            return await asyncio.wait_for(_answer(reader), 10) == 200
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            return False
        finally:
            writer.close()

    answered = sum(await asyncio.gather(*(ask_again(c) for c in opened)))
    return {"wanted": connections, "opened": len(opened), "open_seconds": open_seconds,
            "hold_seconds": hold, "answered_after_hold": answered,
            "established_min": min(kernel_counts) if kernel_counts else None,
            "probe_failures": failures,
            "probes": {path: {"count": len(v), "p50_ms": percentile(v, 50),
                              "p95_ms": percentile(v, 95), "max_ms": max(v, default=0.0)}
                       for path, v in probes.items()}}


# -- the report --------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def line(name: str, r: dict[str, Any]) -> str:
    text = (f"    {name:34s} {r['rps']:7.0f} req/s  p50 {r['p50_ms']:6.1f} ms  "
            f"p95 {r['p95_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  errors {r['errors']}")
    cpu = r.get("cpu")
    if cpu:
        text += (f"\n      cores used: server {cpu['server']:.2f} "
                 f"({cpu['server_ms_per_request']:.2f} ms/request), postgres {cpu['postgres']:.2f} "
                 f"({cpu['postgres_ms_per_request']:.2f} ms/request), wrk {cpu['wrk']:.2f}, "
                 f"other work on the machine {cpu['other']:.2f}; busy {cpu['machine_busy']:.2f}"
                 f" of {len(os.sched_getaffinity(0))}")
    return text


def main() -> None:
    with one_scheduling_group() as scheduling:
        measure(scheduling)


def measure(scheduling: str) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="the timed mixed run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="`frontdesk serve --workers`")
    parser.add_argument("--idle", type=int, default=1000, help="idle connections to hold")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds to hold them")
    parser.add_argument("--separate-worker", action="store_true",
                        help="projections and policies in a `frontdesk worker` process beside "
                             "`serve` (the runbook's production layout), not in the API "
                             "processes; its CPU is counted with the server's")
    args = parser.parse_args()
    limit = raise_open_files()
    binary = ensure_wrk()
    short = max(3, min(10, args.seconds))
    print(f"# Frontdesk load bench  {time.strftime('%Y-%m-%d %H:%M')}  python "
          f"{platform.python_version()}  cpus {len(os.sched_getaffinity(0))}  "
          f"open files {limit}")
    print(f"# {scheduling}")
    owner_url = bench_database("frontdesk_bench_load")
    port = free_port()
    server, worker = start_service(
        owner_url, port, args.workers, "bench-load", separate_worker=args.separate_worker,
        extra_env={"FRONTDESK_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE)})
    base = f"http://127.0.0.1:{port}"
    report: dict[str, Any] = {"seconds": args.seconds, "connections": args.connections,
                              "workers": args.workers, "threads": THREADS,
                              "separate_worker": args.separate_worker,
                              "weights": {**READS, **COMMANDS}}
    meter = CpuMeter(server.pid, [worker.pid] if worker else [])
    try:
        token = login(base)
        data = seed(base, token)
        report["seed"] = {k: (len(v) if isinstance(v, list) else v) for k, v in data.items()}
        wrk(binary, base, token, data, {**READS, **COMMANDS}, 5, args.connections)  # warm-up
        report["baseline_health"] = wrk(binary, base, token, data, HEALTH, short,
                                        args.connections, meter)
        report["reads_only"] = wrk(binary, base, token, data, READS, short, args.connections,
                                   meter)
        report["mixed"] = wrk(binary, base, token, data, {**READS, **COMMANDS}, args.seconds,
                              args.connections, meter)
        # Work left to the projections: deferred work would flatter the throughput.
        report["mixed"]["backlog_after"] = sum(pending_events(base).values())
        report["mixed"]["catch_up_s"] = wait_caught_up(base)
        report["idle"] = asyncio.run(hold_idle(port, token, connections=args.idle,
                                               hold=args.hold))
    finally:
        stop_process(server)
        stop_process(worker)

    seed_info, mixed, idle = report["seed"], report["mixed"], report["idle"]
    print(f"\nSeeded through the API in {seed_info['seconds']:.0f} s: {seed_info['leads']} leads "
          f"and contacts, a conversation (2 messages) and a quoted case each, 1 queue, "
          f"{seed_info['agents']} agents, {seed_info['tasks']} tasks")
    print(f"\nMixed workload, 70% reads / 30% commands, wrk {THREADS} threads, "
          f"{args.connections} connections, `frontdesk serve --workers {args.workers}` "
          + ("(projections in a `frontdesk worker` beside it, INFO logs)"
             if args.separate_worker else "(projections in-process, INFO logs)"))
    print(line(f"GET /health, {short} s (baseline)", report["baseline_health"]))
    print(line(f"reads only, {short} s", report["reads_only"]))
    print(line(f"mixed, {args.seconds} s", mixed))
    print(f"      projections at the end: {mixed['backlog_after']:,} event applications to go, "
          f"caught up {mixed['catch_up_s']:.1f} s later")
    print(f"    targets: >= 500 req/s {verdict(mixed['rps'] >= 500)}; p95 < 200 ms "
          f"{verdict(mixed['p95_ms'] < 200)}; zero errors {verdict(mixed['errors'] == 0)}")
    total = sum(mixed["issued"].values()) or 1
    for op in [*READS, *COMMANDS]:
        print(f"      {op:40s} {mixed['issued'].get(op, 0):7d}  "
              f"{mixed['issued'].get(op, 0) / total:5.1%}")
    for status, count in sorted(mixed["statuses"].items()):
        print(f"      HTTP {status}: {count}  e.g. {mixed['samples'].get(status, '')[:200]}")
    held = idle["answered_after_hold"]
    health, leads = idle["probes"]["GET /health"], idle["probes"]["GET /v1/leads?limit=5"]
    print(f"\nIdle connections: {idle['opened']}/{idle['wanted']} opened and answered in "
          f"{idle['open_seconds']:.1f} s, held idle {idle['hold_seconds']:.0f} s "
          f"(kernel count of established, lowest: {idle['established_min']}); "
          f"{held} answered again after the hold")
    print(f"    probe during the hold: GET /health {health['count']} x 200, p50 "
          f"{health['p50_ms']:.1f} ms, p95 {health['p95_ms']:.1f} ms, max "
          f"{health['max_ms']:.1f} ms; GET /v1/leads?limit=5 {leads['count']} x 200, p50 "
          f"{leads['p50_ms']:.1f} ms, p95 {leads['p95_ms']:.1f} ms; failures "
          f"{idle['probe_failures']}")
    print(f"    target: {args.idle} held with the probe answered "
          f"{verdict(held >= args.idle and idle['probe_failures'] == 0)}")

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
