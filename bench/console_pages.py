"""(j) Console pages and the widget's first AI words, on the demo tenant scaled to 10k contacts.

Set-up: ``frontdesk demo`` seeds its tenant (three weeks of a clinic, through the command bus),
then contacts are added through the application layer until the tenant has 10,000: the same
``RegisterContact`` command the API runs (personal data encrypted, the email claimed), executed
on the bus by 4 threads of this process, no HTTP. `frontdesk serve --workers 2` and one
`frontdesk worker` (the production layout) serve the pages once the projections caught up.

Pages: every GET route under /console the app's route map has, found at run time, so pages added
later are measured too: those without path parameters, each GET route whose path takes an id
and each page with an id in its query (the workspace's ``?conversation=``), filled with a
sample of the tenant's ids of that kind. Event streams (their answer never ends) and static
files are left out. One client, one request at a time on a kept-alive connection, rounds
interleaved with the baselines: the time from sending the request to the last byte of the
answer, which on loopback is the server's time.

Widget: a visitor starts a chat (the offline model, a knowledge passage that answers), opens
the live stream and waits for the first answer; then asks a second question on the open
stream. Figures: from sending it to the first words of the answer on the stream (the
``answer`` event, ADR 0092; when the answer was stored before the stream showed any of it, the
stored answer is the first words) and to the stored answer (the ``thread`` event). Baseline:
the same POST's own answer.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import threading
import time
import typing
import uuid
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.common import percentile  # noqa: E402

SLUG = "bench-demo"
CONTACTS = 10_000
TARGET_MS = 150.0
SITE = "https://bright-smile.example"
HOURS = {"title": "Opening hours", "source": "website",
         "text": "We are open Monday to Friday, 9:00 to 18:00, and Saturday 9:00 to 13:00."}
ID_SOURCES = {"conversation": "/v1/conversations", "task": "/v1/tasks",
              "contact": "/v1/contacts", "lead": "/v1/leads", "case": "/v1/cases",
              "queue": "/v1/queues", "agent": "/v1/agents"}
"""Where a sample of ids of each kind is read (a parameter ``conversation`` or
``conversation_id`` takes conversation ids)."""


def seed_demo(owner_url: str) -> float:
    """``frontdesk demo`` on the bench database; its seconds."""
    from bench.http_load import service_env

    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/frontdesk"), "demo", "--tenant", SLUG], cwd=ROOT,
                   env={**service_env(owner_url), "FRONTDESK_LOG_LEVEL": "WARNING"},
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def contacts_of(owner_url: str, tenant_id: uuid.UUID) -> int:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("SELECT count(*) FROM contacts WHERE tenant_id = %s",
                           (tenant_id,)).fetchone()
    return int(row[0]) if row else 0


def add_contacts(container: Any, tenant_id: uuid.UUID, count: int,
                 threads: int = 4) -> float:
    """``count`` RegisterContact commands through the bus; commands per second."""
    from application.contacts.commands import RegisterContact
    from application.ports import CommandContext

    bus = container.bus()
    ctx = CommandContext(tenant_id=tenant_id, actor="bench:contacts")
    run = uuid.uuid4().hex[:8]

    def register(part: int) -> None:
        for n in range(part, count, threads):
            bus.execute(RegisterContact(name=f"Bench Person {n}",
                                        email=f"person-{run}-{n}@bench.example",
                                        phone=None), ctx)

    started = time.perf_counter()
    workers = [threading.Thread(target=register, args=(k,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return count / (time.perf_counter() - started)


def console_pages(app: Any) -> list[tuple[str, tuple[str, ...]]]:
    """The console's GET pages from the route map: (path template, id kinds it needs); a kind
    is a path parameter's or a UUID query parameter's name without ``_id``."""
    from litestar.response import ServerSentEvent

    found: set[tuple[str, tuple[str, ...]]] = set()
    for route in app.routes:
        if not route.path.startswith("/console"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if "GET" not in handler.http_methods:
                continue
            signature = handler.parsed_fn_signature
            returned = signature.return_type.annotation
            if inspect.isclass(returned) and issubclass(returned, ServerSentEvent):
                continue  # a stream: its answer never ends
            names = [str(getattr(p, "name", p)) for p in getattr(route, "path_parameters", ())]
            if "file_path" in names:
                continue  # static files
            kinds = tuple(n.removesuffix("_id") for n in names)
            queries = [name for name, field in signature.parameters.items()
                       if name not in names and uuid.UUID in _types(field.annotation)]
            found.add((route.path, kinds))
            for query in queries:
                found.add((f"{route.path}?{query}={{{query}}}", (query,)))
    return sorted(found)


def _types(annotation: Any) -> set[Any]:
    args = typing.get_args(annotation)
    return {annotation, *args} if args else {annotation}


def sample_ids(api: httpx.Client, kind: str, n: int) -> list[str]:
    source = ID_SOURCES.get(kind)
    if source is None:
        return []
    answer = api.get(source, params={"limit": n})
    if answer.status_code != 200:
        return []
    body = answer.json()
    items = body["items"] if isinstance(body, dict) else body
    return [str(item["id"]) for item in items][:n]


def timed(client: httpx.Client, url: str, **kwargs: Any) -> tuple[float, int]:
    started = time.perf_counter()
    answer = client.get(url, **kwargs)
    return (time.perf_counter() - started) * 1000, answer.status_code


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
            "max_ms": max(values) if values else float("nan"), "n": len(values)}


def measure_pages(base: str, token: str, app: Any, *, samples: int,
                  detail_ids: int = 10) -> dict[str, Any]:
    api = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})
    web = httpx.Client(base_url=base, timeout=30, cookies={"fd_session": token})
    targets: dict[str, list[str]] = {}
    for template, kinds in console_pages(app):
        if not kinds:
            targets[template] = [template]
            continue
        ids = sample_ids(api, kinds[0], detail_ids)
        if ids:
            key = template.split("{")[0] + "{" + kinds[0] + "}" + (
                "" if "?" in template else template.split("}")[-1])
            targets[key] = [_fill(template, ident) for ident in ids]
    baselines = {"GET /health/ready (baseline)": (web, "/health/ready"),
                 "GET /v1/contacts?limit=1 (baseline, API read)": (api, "/v1/contacts?limit=1")}
    times: dict[str, list[float]] = {name: [] for name in [*baselines, *targets]}
    statuses: dict[str, set[int]] = {name: set() for name in times}
    urls = {name: cycle(list_) for name, list_ in targets.items()}
    for round_number in range(samples + 3):  # 3 rounds of warm-up, not counted
        for name, (client, path) in baselines.items():
            ms, status = timed(client, path)
            if round_number >= 3:
                times[name].append(ms)
                statuses[name].add(status)
        for name in targets:
            ms, status = timed(web, next(urls[name]))
            if round_number >= 3:
                times[name].append(ms)
                statuses[name].add(status)
    return {name: {**summary(values), "statuses": sorted(statuses[name]),
                   "urls": len(targets.get(name, [None]))}
            for name, values in times.items()}


def _fill(template: str, ident: str) -> str:
    start, end = template.index("{"), template.index("}")
    return template[:start] + ident + template[end + 1:]


def widget_first_answer(base: str, token: str, *, samples: int) -> dict[str, Any]:
    from tests.sse import messages

    api = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})
    api.post("/v1/knowledge", json=HOURS).raise_for_status()
    key = api.post("/v1/widget-keys", json={"name": "Bench", "allowed_origins": [SITE]}
                   ).json()["key"]
    time.sleep(2)  # the knowledge passages' read model
    first, stored, posted_ms, withheld = [], [], [], 0
    visitor = httpx.Client(base_url=base, timeout=30, headers={"Origin": SITE})
    for n in range(samples):
        posted = visitor.post(f"/widget/conversations?key={key}",
                              data={"name": f"Visitor {n}",
                                    "email": f"visitor-{uuid.uuid4().hex[:10]}@bench.example",
                                    "message": "When are you open on Saturday?"})
        posted.raise_for_status()
        visitor_token = posted.text.split('name="token" value="', 1)[1].split('"', 1)[0]
        with visitor.stream("GET", "/widget/live", params={"key": key, "token": visitor_token},
                            timeout=30) as live:
            stream = messages(live)
            deadline = time.perf_counter() + 30
            for message in stream:  # the first answer, stored: the stream is open and idle
                if message.event == "thread" and 'class="message ai"' in str(message.data):
                    break
                assert time.perf_counter() < deadline, "no first answer"
            started = time.perf_counter()
            said = visitor.post(f"/widget/messages?key={key}", data={
                "token": visitor_token, "body": "And are you open on Saturday mornings?"})
            posted_ms.append((time.perf_counter() - started) * 1000)
            said.raise_for_status()
            deadline = time.perf_counter() + 30
            words: float | None = None
            for message in stream:
                data = str(message.data)
                if message.event == "answer" and "message ai writing" in data and words is None:
                    words = (time.perf_counter() - started) * 1000
                if message.event == "thread" and data.count('class="message ai"') == 2:
                    stored.append((time.perf_counter() - started) * 1000)
                    # stored before the stream showed any of it: the stored answer is the first
                    first.append(words if words is not None else stored[-1])
                    break
                if message.event == "thread" and 'data-status="waiting_for_agent"' in data:
                    withheld += 1
                    break
                if time.perf_counter() > deadline:
                    break
    return {"first": summary(first), "answer": summary(stored), "posted": summary(posted_ms),
            "withheld": withheld, "samples": samples}


def run(owner_url: str, *, samples: int = 40, widget_samples: int = 40) -> dict[str, Any]:
    from bench.common import build_container
    from bench.http_load import free_port, start_service, stop_process, wait_caught_up
    from entrypoints.cli.demo import admin_email, demo_password
    from entrypoints.http.app import create_app

    seeded_s = seed_demo(owner_url)
    container = build_container(owner_url)
    tenant = container.identity.tenants().by_slug(SLUG)
    before = contacts_of(owner_url, tenant.id)
    rate = add_contacts(container, tenant.id, max(0, CONTACTS - before))
    app = create_app(container)
    port = free_port()
    widget_limits = {"FRONTDESK_RATE_LIMIT_WIDGET_PER_IP": "1000000000",
                     "FRONTDESK_RATE_LIMIT_PER_WIDGET_KEY": "1000000000",
                     "FRONTDESK_LLM_CHAIN": "local"}
    server, worker = start_service(owner_url, port, 2, "bench-console-pages",
                                   separate_worker=True, extra_env=widget_limits)
    base = f"http://127.0.0.1:{port}"
    try:
        caught_up = wait_caught_up(base, timeout=900)
        after = contacts_of(owner_url, tenant.id)
        token = httpx.post(f"{base}/v1/auth/login", timeout=30, json={
            "tenant": SLUG, "email": admin_email(SLUG),
            "password": demo_password(SLUG)}).json()["access_token"]
        pages = measure_pages(base, token, app, samples=samples)
        widget = widget_first_answer(base, token, samples=widget_samples)
    finally:
        stop_process(server)
        stop_process(worker)
    return {"seeded_s": seeded_s, "contacts_before": before, "contacts": after,
            "contacts_per_s": rate, "caught_up_s": caught_up, "pages": pages,
            "widget": widget, "samples": samples, "cpus": len(os.sched_getaffinity(0))}


def print_report(j: dict[str, Any]) -> None:
    from bench.run import verdict

    print(f"\n(j) Console pages on the demo tenant scaled to {j['contacts']:,} contacts "
          f"(demo seeded in {j['seeded_s']:.0f} s with {j['contacts_before']:,} contacts; the "
          f"rest added by RegisterContact on the bus, 4 threads, {j['contacts_per_s']:.0f}/s; "
          f"projections caught up {j['caught_up_s']:.0f} s later)")
    print(f"    `frontdesk serve --workers 2` + `frontdesk worker`, one client, {j['samples']} "
          "interleaved rounds, request sent -> last byte")
    for name, r in j["pages"].items():
        baseline = "baseline" in name
        target = "" if baseline else \
            f"  [target p95 < {TARGET_MS:.0f} ms: {verdict(r['p95_ms'] < TARGET_MS)}]"
        label = name if baseline else f"GET {name}"
        urls = f" ({r['urls']} ids)" if r["urls"] > 1 else ""
        print(f"    {label + urls:58s} p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
              f"max {r['max_ms']:6.1f} ms  status {','.join(map(str, r['statuses']))}{target}")
    w = j["widget"]
    print(f"    widget, offline model, {w['samples']} visitors, each asking a second question "
          f"on an open stream ({w['withheld']} answers withheld for a person):")
    print(f"    POST /widget/messages answered (baseline)                    "
          f"p50 {w['posted']['p50_ms']:6.1f} ms  p95 {w['posted']['p95_ms']:6.1f} ms")
    print(f"    message sent -> first words of the answer on the stream      "
          f"p50 {w['first']['p50_ms']:6.1f} ms  p95 {w['first']['p95_ms']:6.1f} ms  "
          f"(n={w['first']['n']})")
    print(f"    message sent -> the answer stored, on the stream             "
          f"p50 {w['answer']['p50_ms']:6.1f} ms  p95 {w['answer']['p95_ms']:6.1f} ms  "
          f"(n={w['answer']['n']})")


def main() -> None:
    import argparse
    import json

    from bench.common import bench_database, one_scheduling_group

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--widget-samples", type=int, default=40)
    args = parser.parse_args()
    with one_scheduling_group() as scheduling:
        print(f"# {scheduling}")
        j = run(bench_database("frontdesk_bench_console_pages"), samples=args.samples,
                widget_samples=args.widget_samples)
    print_report(j)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"console-pages-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(j, indent=2, default=str))


if __name__ == "__main__":
    main()
