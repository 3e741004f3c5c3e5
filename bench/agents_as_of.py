"""(k) The agents' report as of a moment (ADR 0091) against the live one, on the demo tenant.

Set-up: ``frontdesk demo`` seeds its tenant (three weeks of a clinic through the command bus;
``--scale`` as the demo's), then every projection is caught up so nothing runs in the
background while measured. In one run and one process, interleaved rounds of
``GET /v1/analytics/agents`` over the 14 UTC days up to today (the console's agents page):
live (the agent_performance read model), as of now and as of a week ago (the tenant's
agent_performance events up to the moment replayed in memory). The same for
``GET /v1/analytics/ai-usage``. Request sent -> response read, through the in-process ASGI
client (no network, no second process).

    .venv/bin/python bench/agents_as_of.py [--samples 30] [--scale 1.0]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.common import percentile  # noqa: E402

SLUG = "bench-agents"


def seed_demo(owner_url: str, scale: float) -> float:
    from bench.http_load import service_env

    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/frontdesk"), "demo", "--tenant", SLUG,
                    "--scale", str(scale)], cwd=ROOT,
                   env={**service_env(owner_url), "FRONTDESK_LOG_LEVEL": "WARNING"},
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
            "max_ms": max(values), "n": len(values)}


def run(owner_url: str, *, samples: int, scale: float) -> dict[str, Any]:
    from litestar.testing import TestClient

    from adapters.projections.runner import topics_of
    from application.projections.agent_performance import AgentPerformanceProjection
    from bench.common import build_container
    from bench.ltv import catch_up_everything
    from entrypoints.cli.demo import admin_email, demo_password
    from entrypoints.http.app import create_app

    seeded_s = seed_demo(owner_url, scale)
    container = build_container(owner_url, FRONTDESK_IN_PROCESS_PROJECTIONS=False)
    catch_up_everything(container)
    tenant = container.identity.tenants().by_slug(SLUG)
    topics = list(topics_of(AgentPerformanceProjection()))
    with container.worker_pool().connection() as conn:
        events = conn.execute("SELECT count(*) AS n FROM events WHERE tenant_id = %s AND "
                              "topic = ANY(%s)", (tenant.id, topics)).fetchone()["n"]
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    days = {"from": str(today - timedelta(days=13)), "to": str(today)}
    week_ago = (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    moment_now = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    cases = {
        "agents live (read model)": ("/v1/analytics/agents", days),
        "agents as_of now (replay)": ("/v1/analytics/agents", {**days, "as_of": moment_now}),
        "agents as_of a week ago (replay)": ("/v1/analytics/agents",
                                             {**days, "as_of": week_ago}),
        "ai-usage live (read model)": ("/v1/analytics/ai-usage", days),
        "ai-usage as_of now (replay)": ("/v1/analytics/ai-usage",
                                        {**days, "as_of": moment_now}),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    with TestClient(app=create_app(container)) as client:
        token = client.post("/v1/auth/login", json={
            "tenant": SLUG, "email": admin_email(SLUG),
            "password": demo_password(SLUG)}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        answers = {name: client.get(path, params=params, headers=headers).json()
                   for name, (path, params) in cases.items()}  # warm-up, and the answers
        assert answers["agents live (read model)"]["items"] == \
            answers["agents as_of now (replay)"]["items"], "as of now differs from live"
        rows = len(answers["agents live (read model)"]["items"])
        for _ in range(samples):
            for name, (path, params) in cases.items():
                started = time.perf_counter()
                answer = client.get(path, params=params, headers=headers)
                times[name].append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
    container.datastore().close()
    container.worker_pool().close()
    return {"seeded_s": seeded_s, "scale": scale, "replayed_events": events,
            "agent_day_rows": rows, "samples": samples,
            "results": {name: summary(values) for name, values in times.items()}}


def print_report(k: dict[str, Any]) -> None:
    print(f"\n(k) Agents' report as of a moment vs live, demo tenant (scale {k['scale']}, "
          f"seeded in {k['seeded_s']:.0f} s; {k['replayed_events']:,} agent_performance "
          f"events to replay, {k['agent_day_rows']} agent-days in 14 days), "
          f"{k['samples']} interleaved rounds, in-process ASGI client")
    for name, r in k["results"].items():
        print(f"    GET {name:40s} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
              f"max {r['max_ms']:7.1f} ms")


def main() -> None:
    import argparse

    from bench.common import bench_database

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    k = run(bench_database("frontdesk_bench_agents_as_of"), samples=args.samples,
            scale=args.scale)
    print_report(k)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"agents-as-of-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(k, indent=2, default=str))


if __name__ == "__main__":
    main()
