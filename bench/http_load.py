"""(c) HTTP: requests/s and p50/p95/p99 latency of POST /v1/leads and GET /v1/leads at 32
concurrent connections, measured with wrk (Debian package) against `frontdesk serve` on
loopback, for a bounded time."""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "bench-admin-token-0123456789"
LUA_COMMON = r"""
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    '{"requests": %d, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, '
    .. '"max_ms": %.2f, "errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors, summary.errors.status))
end
"""
LUA_POST = r"""
local counter = 0
local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
request = function()
  counter = counter + 1
  local body = string.format(
    '{"name": "Load %d", "email": "%s-w%s-%d@bench.example", "source": "bench", '
    .. '"campaign": "load", "notes": "http benchmark"}', counter, RUN, tid, counter)
  return wrk.format("POST", "/v1/leads", {["Content-Type"] = "application/json",
                    ["Authorization"] = "Bearer " .. TOKEN}, body)
end
"""
LUA_GET = r"""
request = function()
  return wrk.format("GET", "/v1/leads?limit=20", {["Authorization"] = "Bearer " .. TOKEN})
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "wrk"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("the HTTP benchmark needs wrk: apt-get install wrk")
    return found


def raise_open_files(wanted: int = 65_536) -> int:
    """Raise this process's soft RLIMIT_NOFILE towards ``wanted`` (capped by the hard limit);
    returns the soft limit now in force. Children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def service_env(owner_url: str, *, separate_worker: bool = False,
                extra_env: dict[str, str] | None = None) -> dict[str, str]:
    # A benchmark measures the service, not its rate limiter: the limits are far above what
    # one client on loopback can send (the limiter's counting still runs on every request).
    return {**os.environ, "DATABASE_URL": owner_url, "ADMIN_API_TOKEN": ADMIN,
            "FRONTDESK_STALE_POLICY_INTERVAL": "3600",
            "FRONTDESK_RATE_LIMIT_PER_IP": "1000000000",
            "FRONTDESK_RATE_LIMIT_PER_TENANT": "1000000000",
            "FRONTDESK_IN_PROCESS_PROJECTIONS": "false" if separate_worker else "true",
            **(extra_env or {})}


def start_worker(owner_url: str, log: Path,
                 extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`frontdesk worker`: projections, policies and consumers beside `serve` processes started
    with ``separate_worker=True`` (the runbook's production layout)."""
    return subprocess.Popen([str(ROOT / ".venv/bin/frontdesk"), "worker"], cwd=ROOT,
                            env=service_env(owner_url, extra_env=extra_env),
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def start_server(owner_url: str, port: int, workers: int, log: Path, *,
                 separate_worker: bool = False,
                 extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = service_env(owner_url, separate_worker=separate_worker, extra_env=extra_env)
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/frontdesk"), "serve", "--port", str(port), "--workers",
         str(workers)], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        preexec_fn=raise_open_files)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start; see {log}")


def start_service(owner_url: str, port: int, workers: int, logs: str, *,
                  separate_worker: bool, extra_env: dict[str, str] | None = None
                  ) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes] | None]:
    """`serve --workers N` and, in the production layout (``separate_worker``), one
    `frontdesk worker`, started once the API is up (it has migrated the database by then: a
    fresh database must not be migrated by two processes at once). Logs in
    ``.data/{logs}-server.log`` and ``-worker.log``."""
    server = start_server(owner_url, port, workers, ROOT / ".data" / f"{logs}-server.log",
                          separate_worker=separate_worker, extra_env=extra_env)
    if not separate_worker:
        return server, None
    try:
        return server, start_worker(owner_url, ROOT / ".data" / f"{logs}-worker.log", extra_env)
    except BaseException:
        stop_process(server)
        raise


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it is still there after 15 s."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def login(base: str) -> str:
    slug = f"load-{os.getpid()}-{int(time.time())}"
    created = httpx.post(f"{base}/v1/admin/tenants", headers={"Authorization": f"Bearer {ADMIN}"},
                         json={"name": "Load", "slug": slug, "admin_email": f"a@{slug}.example",
                               "admin_password": "load test password"})
    created.raise_for_status()
    token = httpx.post(f"{base}/v1/auth/login", json={
        "tenant": slug, "email": f"a@{slug}.example", "password": "load test password"})
    token.raise_for_status()
    return str(token.json()["access_token"])


def wrk(binary: str, base: str, token: str, script: str, seconds: int,
        connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(f'TOKEN = "{token}"\nRUN = "{uuid.uuid4().hex[:12]}"\n' + script + LUA_COMMON)
    result = subprocess.run([binary, "-t2", f"-c{connections}", f"-d{seconds}s",
                             "--timeout", "5s", "-s", lua.name, base],
                            capture_output=True, text=True, check=True)
    os.unlink(lua.name)
    line = next(out for out in result.stdout.splitlines() if out.startswith("{"))
    return json.loads(line)  # type: ignore[no-any-return]


def pending_events(base: str) -> dict[str, int]:
    """Events each projection still has to apply, from /health/ready (no token needed)."""
    lag = httpx.get(f"{base}/health/ready", timeout=10).json()["checks"]["projections"]["lag"]
    return {name: int(p["pending_events"]) for name, p in lag.items() if p["pending_events"]}


def wait_caught_up(base: str, timeout: float = 300) -> float:
    """Seconds until every projection has applied every event."""
    started = time.monotonic()
    while pending_events(base):
        if time.monotonic() - started > timeout:
            raise SystemExit(f"the projections did not catch up in {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round whose p95 is the median of the rounds' (the lower middle one of an even
    count), with every round's figures under ``rounds``: on these noisy machines one 10 s
    run of the same build varies by a factor of two, so one run is a draw, not a figure."""
    ordered = sorted(rounds, key=lambda r: r["p95_ms"])
    return {**ordered[(len(ordered) - 1) // 2], "rounds": rounds}


def run(owner_url: str, *, seconds: int = 10, connections: int = 32, rounds: int = 3,
        workers: int = 2, separate_worker: bool = True) -> dict[str, dict[str, Any]]:
    """``rounds`` POST runs, then as many GET runs once the projections have caught up with
    the POST runs: a read-only minute has no projection backlog, and the backlog's size and
    catch-up time after each POST run are reported beside the POST figures instead (the
    next POST run starts once it is caught up). Each endpoint's figures are its median round
    (see ``median_round``).

    ``separate_worker``: the production layout of the runbook (`serve --workers N` without
    projections, and one `frontdesk worker`); otherwise `make run`'s, with the projections
    in the API processes (ADR 0058)."""
    binary = ensure_wrk()
    port = free_port()
    server, worker = start_service(owner_url, port, workers, "bench",
                                   separate_worker=separate_worker)
    base = f"http://127.0.0.1:{port}"
    posts: list[dict[str, Any]] = []
    gets: list[dict[str, Any]] = []
    try:
        token = login(base)
        wrk(binary, base, token, LUA_POST, 3, connections)  # warm-up
        wait_caught_up(base)
        for _ in range(rounds):
            post = wrk(binary, base, token, LUA_POST, seconds, connections)
            post["backlog_after"] = sum(pending_events(base).values())
            post["catch_up_s"] = wait_caught_up(base)
            posts.append(post)
        for _ in range(rounds):
            gets.append(wrk(binary, base, token, LUA_GET, seconds, connections))
    finally:
        stop_process(server)
        stop_process(worker)
    return {"POST /v1/leads": median_round(posts), "GET /v1/leads": median_round(gets)}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from bench.common import bench_database

    print(json.dumps(run(bench_database(), workers=int(sys.argv[1]) if len(sys.argv) > 1
                         else 2, separate_worker="--in-process" not in sys.argv), indent=2))
