"""What tracing costs a request (ADR 0083): request latency p50/p95 of `frontdesk serve` with
tracing off (no FRONTDESK_OTLP_ENDPOINT: nothing instrumented), instrumented but sampling
nothing (FRONTDESK_TRACE_SAMPLE_RATIO=0: the instrumentation's own cost), and exporting every
trace over OTLP/HTTP (ratio 1) to a local collector stand-in, in the same run, on the same
database and tenant.

The three servers run at once (one process each, projections off so that no background work
runs while measured); one client takes them in turn, request by request, so that whatever
else the machine does falls on all alike. Each round: POST /v1/leads (a command: HTTP span,
command span, its SQL) and GET /v1/leads (a read-model query).

    .venv/bin/python bench/tracing.py [--rounds 400]

Light and sequential, it leaves the kernel's session autogrouping as it is (`make bench`
turns it off for its loaded sections, ADR 0055).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402

from bench.common import bench_database, percentile  # noqa: E402
from bench.http_load import free_port, login, start_server, stop_process  # noqa: E402


class Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that counts the spans it is sent and answers 200."""

    spans = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        count = sum(len(scope.spans) for resource in request.resource_spans
                    for scope in resource.scope_spans)
        with Collector.lock:
            Collector.spans += count
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def measure(rounds: int) -> None:
    owner_url = bench_database("frontdesk_bench_tracing")
    collector = ThreadingHTTPServer(("127.0.0.1", free_port()), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    logs = ROOT / ".data"
    modes = {"off": {},
             "unsampled": {"FRONTDESK_OTLP_ENDPOINT": endpoint,
                           "FRONTDESK_TRACE_SAMPLE_RATIO": "0"},
             "on": {"FRONTDESK_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "500"}}
    ports = {mode: free_port() for mode in modes}
    servers = []
    try:
        for mode, env in modes.items():  # the first migrates the database, alone
            servers.append(start_server(owner_url, ports[mode], 1,
                                        logs / f"bench-tracing-{mode}.log",
                                        separate_worker=True, extra_env=env))
        bases = {mode: f"http://127.0.0.1:{port}" for mode, port in ports.items()}
        token = login(bases["off"])  # one tenant and token: both serve the same database
        headers = {"Authorization": f"Bearer {token}"}
        clients = {mode: httpx.Client(base_url=base, headers=headers, timeout=30)
                   for mode, base in bases.items()}
        samples: dict[tuple[str, str], list[float]] = {
            (mode, what): [] for mode in bases for what in ("POST /v1/leads", "GET /v1/leads")}

        def one(mode: str, record: bool) -> None:
            client = clients[mode]
            started = time.perf_counter()
            created = client.post("/v1/leads", json={
                "email": f"{uuid.uuid4().hex[:12]}@bench.example", "source": "web"})
            wrote = time.perf_counter()
            listed = client.get("/v1/leads", params={"limit": 20})
            read = time.perf_counter()
            assert created.status_code == 201 and listed.status_code == 200, created.text
            if record:
                samples[mode, "POST /v1/leads"].append((wrote - started) * 1000)
                samples[mode, "GET /v1/leads"].append((read - wrote) * 1000)

        order = list(modes)
        for _ in range(50):  # warm-up: pools, caches, first-use imports
            for mode in order:
                one(mode, False)
        for i in range(rounds):
            for mode in order[i % 3:] + order[:i % 3]:  # each mode first as often
                one(mode, True)
        time.sleep(1.5)  # the last batch of spans leaves the "on" server
        print(f"request latency, ms ({rounds} sequential rounds, one client taking the "
              "three servers in turn)")
        print(f"{'request':<16} {'tracing':<10} {'p50':>7} {'p95':>7}   vs off: p50 p95")
        for what in ("POST /v1/leads", "GET /v1/leads"):
            base50 = percentile(samples["off", what], 50)
            base95 = percentile(samples["off", what], 95)
            for mode in order:
                p50 = percentile(samples[mode, what], 50)
                p95 = percentile(samples[mode, what], 95)
                print(f"{what:<16} {mode:<10} {p50:7.2f} {p95:7.2f}   "
                      f"{p50 - base50:+6.2f} {p95 - base95:+6.2f}")
        print(f"spans received by the collector: {Collector.spans}")
        for client in clients.values():
            client.close()
    finally:
        for server in reversed(servers):
            stop_process(server)
        collector.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    arguments = parser.parse_args()
    measure(arguments.rounds)


if __name__ == "__main__":
    main()
