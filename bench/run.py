"""`make bench`: the foundation's figures, each next to a baseline measured in the same run.

(a) commands/s through the application layer vs raw single-row INSERT transactions;
(b) projection rebuild events/s vs reading the same rows raw;
(c) HTTP requests/s and latency percentiles at 32 concurrent connections (wrk);
(d) memory: projection throughput, search latency and recall, erasure, freshness
    (bench/memory.py);
(e) LTV: replay of 200k payment-bearing events vs a raw read; LTV endpoint p95 at 16 clients;
(f) conversations: AI-reply overhead without the model (200 messages, 1,000 knowledge passages)
    and signed Twilio inbound webhook throughput.
(g) routing decisions/s (200 agents, 5,000 waiting tasks) vs a straightforward router, and
    task creation -> reservation latency through the API vs creation -> visible.
(h) live event streams: 200 open GET /v1/stream on one tenant while a writer commits; events
    delivered per second, API CPU per delivered event, commit -> arrival vs commit -> visible
    by GET polling (bench/streams.py).
(i) the console: a task committed -> the supervisor's wall shows it in chromium while the API
    takes 100 writes/s, beside commit -> visible through GET polling (bench/console.py).
(j) console pages: server time p50/p95 of every console GET page found in the route map, on
    the demo tenant scaled to 10k contacts, beside GET /health/ready and a trivial API read;
    the widget's first AI answer after a visitor's message, offline model
    (bench/console_pages.py; alone: `make bench-console`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench import (  # noqa: E402
    commands,
    console,
    console_pages,
    conversations,
    http_load,
    ltv,
    memory,
    rebuild,
    routing,
    streams,
)
from bench.common import (  # noqa: E402
    bench_database,
    build_container,
    new_tenant,
    one_scheduling_group,
)


def verdict(ok: bool) -> str:
    return "meets target" if ok else "BELOW TARGET"


def main() -> None:
    with one_scheduling_group() as scheduling:
        measure(scheduling)


def measure(scheduling: str) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs (noisier)")
    parser.add_argument("--only", choices=["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
                        action="append")
    args = parser.parse_args()
    sections = set(args.only or ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
    seconds, rounds = (2.0, 1) if args.quick else (5.0, 3)
    print(f"# Frontdesk bench  {time.strftime('%Y-%m-%d %H:%M')}  "
          f"python {platform.python_version()}  cpus {len(os.sched_getaffinity(0))}")
    print(f"# {scheduling}")
    owner_url = bench_database()
    container = build_container(owner_url)
    tenant, _ = new_tenant(container)
    report: dict[str, object] = {}

    if "a" in sections:
        a = commands.run(container, owner_url, tenant.id, seconds=seconds, rounds=rounds)
        report["a"] = a
        ratio = a["cmd_1"] / a["raw_1"]
        t8, p8 = a["cmd_8t"] / a["cmd_1"], a["cmd_2x4"] / a["cmd_1"]
        print("\n(a) CaptureLead through the application layer (medians of interleaved rounds)")
        print(f"    raw single-row INSERT transactions, 1 client   {a['raw_1']:8.0f} /s  "
              "(baseline)")
        print(f"    commands, 1 client                             {a['cmd_1']:8.0f} /s  "
              f"= {ratio:.0%} of raw  [target >= 40%: {verdict(ratio >= 0.40)}]")
        print(f"    raw INSERT transactions, 8 clients             {a['raw_8']:8.0f} /s")
        print(f"    commands, 8 client threads in one process      {a['cmd_8t']:8.0f} /s  "
              f"= {t8:.2f}x the 1-client rate")
        print(f"    commands, 8 clients as 2 processes x 4 threads {a['cmd_2x4']:8.0f} /s  "
              f"= {p8:.2f}x the 1-client rate  [target >= 2x: {verdict(p8 >= 2)}]")

    if "b" in sections:
        # Its own database: the log holds exactly the generated events.
        log_owner = bench_database("frontdesk_bench_rebuild")
        log_container = build_container(log_owner)
        log_tenant, _ = new_tenant(log_container)
        b = rebuild.run(log_container, log_tenant.id, leads=25_000, rounds=rounds)
        report["b"] = b
        share = b["rebuild"] / b["raw_read"]
        print(f"\n(b) Rebuild lead_pipeline from {b['lead_events']:,.0f} lead events "
              f"({b['log_rows']:,.0f} rows in the log)")
        print(f"    raw read of the log, pages of 1,000            {b['raw_read']:8.0f} rows/s  "
              f"(baseline)")
        print(f"    rebuild (beside the live view, then swapped)   {b['rebuild']:8.0f} events/s "
              f"= {share:.1%} of raw  [targets >= 10% and >= 20,000/s: "
              f"{verdict(share >= 0.10 and b['rebuild'] >= 20_000)}]")

    if "c" in sections:
        layouts = {"production": True, "make run": False}
        report["c"] = {name: http_load.run(owner_url, seconds=int(seconds * 2), connections=32,
                                           rounds=rounds, workers=2, separate_worker=separate)
                       for name, separate in layouts.items()}
        print(f"\n(c) HTTP, 32 concurrent connections, wrk, `frontdesk serve --workers 2`, "
              f"{rounds} rounds of {int(seconds * 2)} s per endpoint: the median round (by p95), "
              "then every round's p95")
        for layout, c in report["c"].items():  # type: ignore[attr-defined]
            if layout == "production":
                print("    production layout (runbook): projections in one `frontdesk worker` "
                      "beside the API processes  [the targets]")
            else:
                print("    `make run` layout, projections in the API processes, for comparison")
            for name, r in c.items():
                target = f"  [target p95 < 50 ms: {verdict(r['p95_ms'] < 50)}]" \
                    if layout == "production" else ""
                print(f"      {name:16s} {r['rps']:7.0f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                      f"p95 {r['p95_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
                      f"errors {sum(x['errors'] for x in r['rounds'])}{target}")
                print(f"      {'':16s} rounds: " + ", ".join(
                    f"{x['rps']:.0f} req/s p95 {x['p95_ms']:.1f} ms" for x in r["rounds"]))
            backlog = c["POST /v1/leads"]["rounds"]
            print("      after each POST round the projections had "
                  + ", ".join(f"{x['backlog_after']:,}" for x in backlog)
                  + " event applications to go and caught up in "
                  + ", ".join(f"{x['catch_up_s']:.1f}" for x in backlog)
                  + " s; the next round starts after that")
        print("    (wrk's percentiles include its coordinated-omission correction: a stalled "
              "request also counts the requests it held back)")

    if "d" in sections:
        report["d"] = memory.run(quick=args.quick)
        memory.print_report(report["d"], verdict)
    if "e" in sections:
        # Its own database and tenant: 10k contacts, 200k payment-bearing events.
        ltv_owner = bench_database("frontdesk_bench_ltv")
        ltv_container = build_container(ltv_owner)
        ltv_tenant, ltv_slug = new_tenant(ltv_container)
        e = ltv.run(ltv_container, ltv_owner, ltv_tenant.id, ltv_slug, "bench password 123",
                    rounds=max(1, rounds - 1), seconds=int(seconds * 2))
        report["e"] = e
        share = e["replay"] / e["raw_read"]
        print(f"\n(e) LTV: replay of {e['payment_events']:,} payment-bearing events "
              f"({e['log_rows']:,} ltv-topic rows; rows {e['rows']})")
        print(f"    raw read of the same rows, pages of 1,000      {e['raw_read']:8.0f} rows/s  "
              "(baseline)")
        print(f"    replay into the ltv view (rebuild + swap)      {e['replay']:8.0f} events/s "
              f"= {share:.1%} of raw  [target >= 20,000/s: {verdict(e['replay'] >= 20_000)}]")
        print("    HTTP, 16 concurrent connections, wrk, `frontdesk serve --workers 2`, "
              "10k contacts")
        for name, r in e["http"].items():
            target = "" if "baseline" in name else \
                f"  [target p95 < 50 ms: {verdict(r['p95_ms'] < 50)}]"
            print(f"    {name:34s} {r['rps']:7.0f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                  f"p95 {r['p95_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  errors "
                  f"{r['errors']}{target}")

    if "f" in sections:
        f_owner = bench_database("frontdesk_bench_conversations")
        f_container = build_container(f_owner, FRONTDESK_LLM_CHAIN="local")
        f_tenant, _ = new_tenant(f_container)
        overhead = conversations.reply_overhead(f_container, f_tenant.id,
                                                samples=60 if args.quick else 100)
        hooks = conversations.webhook_throughput(f_owner, seconds=seconds * 1.6)
        report["f"] = {"reply_overhead": overhead, "webhooks": hooks}
        print("\n(f) Conversations: AI reply without the model (instant model; 200 messages in "
              "the conversation, 1,000 knowledge passages)")
        print(f"    load + settings + retrieval + prompt + store   p50 {overhead['p50_ms']:6.1f} ms"
              f"  p95 {overhead['p95_ms']:6.1f} ms  p99 {overhead['p99_ms']:6.1f} ms  "
              f"[target p95 < 30 ms: {verdict(overhead['p95_ms'] < 30)}]")
        print(f"    signed Twilio inbound webhooks, 8 clients, serve --workers 2: "
              f"{hooks['rps']:6.0f} req/s  p50 {hooks['p50_ms']:5.1f} ms  "
              f"p95 {hooks['p95_ms']:5.1f} ms  errors {hooks['errors']:.0f}")
        if hooks["first_error"]:
            print(f"      first error: {hooks['first_error']}")

    if "g" in sections:
        e1 = routing.run_routing(seconds=seconds)
        e2 = routing.run_latency(bench_database("frontdesk_bench_routing"),
                                 samples=100 if args.quick else 200)
        report["g"] = {"routing": e1, "latency": e2}
        print("\n(g) Routing: 200 agents, 5,000 waiting tasks, 3 queues (one per strategy)")
        print(f"    straightforward router (every task asks every agent)  {e1['naive']:8.0f} "
              "decisions/s  (baseline)")
        print(f"    routing service                                       {e1['route']:8.0f} "
              f"decisions/s = {e1['route'] / e1['naive']:.0f}x  [target >= 5,000/s: "
              f"{verdict(e1['route'] >= 5000)}]")
        routed, shown, visible = e2["routed"], e2["shown"], e2["visible"]
        print("    through the API, `frontdesk serve` (routing on arrival), "
              f"{e2['samples']} tasks one after another:")
        print(f"    POST task -> visible in the read model (baseline)        p50 "
              f"{visible['p50_ms']:5.1f} ms  p95 {visible['p95_ms']:5.1f} ms")
        print(f"    POST task -> reserved (GET /v1/tasks/{{id}}/events, log)  p50 "
              f"{routed['p50_ms']:5.1f} ms  p95 {routed['p95_ms']:5.1f} ms  "
              f"[target p95 < 50 ms: {verdict(routed['p95_ms'] < 50)}]")
        print(f"    POST task -> reserved in the read model (GET /v1/tasks/{{id}}) p50 "
              f"{shown['p50_ms']:5.1f} ms  p95 {shown['p95_ms']:5.1f} ms")

    if "h" in sections:
        h = streams.run(bench_database("frontdesk_bench_streams"), seconds=seconds * 2,
                        samples=50 if args.quick else 100)
        report["h"] = h
        streams.print_report(h)

    if "i" in sections:
        i = console.run(bench_database("frontdesk_bench_console"),
                        samples=30 if args.quick else 60)
        report["i"] = i
        console.print_report(i)

    if "j" in sections:
        j = console_pages.run(bench_database("frontdesk_bench_console_pages"),
                              samples=20 if args.quick else 40,
                              widget_samples=20 if args.quick else 40)
        report["j"] = j
        console_pages.print_report(j)

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"foundation-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
