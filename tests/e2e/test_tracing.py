"""Traces (ADR 0083): one trace from the HTTP request through the command to its SQL, on the
real database, recorded by an in-memory exporter; statements without their values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.conftest import built_container, provision

EMAIL = "trace.me@spans.example"
NAME = "Tracy Spanner"


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture(scope="module")
def traced_container(owner_url: str, exporter: InMemorySpanExporter) -> Iterator[Any]:
    """A composition root of its own whose connections are all opened after the
    instrumentation (the session's were opened untraced)."""
    from adapters.observability.tracing import Tracing

    tracing = Tracing(SimpleSpanProcessor(exporter)).instrument()
    try:
        with built_container(owner_url, tracing=tracing) as container:
            yield container
    finally:
        tracing.close()


@pytest.fixture(scope="module")
def traced_client(traced_container: Any) -> Iterator[TestClient[Any]]:
    from entrypoints.http.app import create_app

    with TestClient(app=create_app(traced_container), raise_server_exceptions=False) as client:
        yield client


def _trace_of(spans: list[ReadableSpan], root: ReadableSpan) -> list[ReadableSpan]:
    assert root.context is not None
    return [s for s in spans if s.context is not None
            and s.context.trace_id == root.context.trace_id]


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None
            and s.parent.span_id == parent.context.span_id]


def test_one_trace_runs_from_the_request_through_the_command_to_its_sql(
        traced_client: TestClient[Any], exporter: InMemorySpanExporter) -> None:
    tenant = provision(traced_client)
    exporter.clear()

    created = tenant.post("/v1/leads?utm=spring", json={"name": NAME, "email": EMAIL,
                                                        "source": "web"})
    assert created.status_code == 201, created.text
    spans = list(exporter.get_finished_spans())

    servers = [s for s in spans if s.kind is SpanKind.SERVER]
    assert [s.name for s in servers] == ["POST /v1/leads"]  # the route's template
    server = servers[0]
    assert server.parent is None
    assert server.attributes is not None
    assert server.attributes.get("http.route") == "/v1/leads"
    assert server.attributes.get("http.status_code") == 201
    assert not [v for v in server.attributes.values() if "utm=spring" in str(v)]

    trace = _trace_of(spans, server)
    commands = [s for s in trace if s.name == "command CaptureLead"]
    assert len(commands) == 1
    command = commands[0]
    assert command.parent is not None and server.context is not None
    assert command.parent.span_id == server.context.span_id  # server → command
    assert command.attributes is not None
    assert command.attributes.get("frontdesk.command.outcome") == "executed"

    queries = [s for s in _children(trace, command) if s.kind is SpanKind.CLIENT]
    assert queries, [s.name for s in trace]  # command → SQL (its loads and its commit)
    statements = [str((s.attributes or {}).get("db.statement", "")) for s in queries]
    # The commit: one call of the append function, its arguments placeholders.
    assert "SELECT frontdesk_append(%s, %s::jsonb) AS tx" in statements, statements
    assert all((s.attributes or {}).get("db.system") == "postgresql" for s in queries)
    # Statements, never the values: no personal datum in any span of the trace.
    for span in trace:
        for value in (span.attributes or {}).values():
            assert EMAIL not in str(value) and NAME not in str(value), (span.name, value)
    assert not [s for s in trace if "db.statement.parameters" in (s.attributes or {})]


def test_a_refused_command_is_traced_with_its_outcome_and_probes_are_not_traced(
        traced_client: TestClient[Any], exporter: InMemorySpanExporter) -> None:
    tenant = provision(traced_client)
    body = {"email": "twice@spans.example", "source": "web"}
    assert tenant.post("/v1/leads", json=body).status_code == 201
    exporter.clear()

    assert tenant.post("/v1/leads", json=body).status_code == 409
    assert traced_client.get("/health").status_code == 200
    assert traced_client.get("/metrics").status_code == 200
    spans = list(exporter.get_finished_spans())

    assert [s.name for s in spans if s.kind is SpanKind.SERVER] == ["POST /v1/leads"]
    command = next(s for s in spans if s.name == "command CaptureLead")
    assert command.attributes is not None
    assert command.attributes.get("frontdesk.command.outcome") == "conflict"
    # Nothing outside an operation: the pools' own statements are not traced.
    assert all(s.parent is not None for s in spans if s.kind is SpanKind.CLIENT)


def test_a_policy_traces_each_event_it_reacts_to_with_the_command_it_issues_inside(
        traced_container: Any, traced_client: TestClient[Any],
        exporter: InMemorySpanExporter) -> None:
    from uuid import UUID

    from adapters.projections.policies import PolicyRunner
    from tests.integration.test_policies import ScoreEveryCapturedLead

    tenant = provision(traced_client)
    assert tenant.post("/v1/leads", json={"email": "react@spans.example",
                                          "source": "web"}).status_code == 201
    runner = PolicyRunner(ScoreEveryCapturedLead(UUID(tenant.id)), traced_container.worker_pool(),
                          traced_container.worker_mapper(), traced_container.bus(),
                          tenant_id=UUID(tenant.id),
                          tracer=traced_container.tracing().tracer())
    runner.ensure_tracking()
    exporter.clear()
    assert runner.catch_up() == 1
    spans = list(exporter.get_finished_spans())

    reactions = [s for s in spans if s.name.endswith(" Lead.LeadCaptured")]
    assert len(reactions) == 1 and reactions[0].parent is None
    reaction = reactions[0]
    assert (reaction.attributes or {}).get("frontdesk.event") == "Lead.LeadCaptured"
    command = next(s for s in _children(spans, reaction) if s.name == "command ScoreLead")
    assert [s for s in _children(spans, command) if s.kind is SpanKind.CLIENT]
    # The reader's own statements (reading the log, moving its position) are not traced.
    assert [s for s in spans if s.parent is None] == [reaction]


def test_a_failing_statement_is_traced_with_its_error_type_and_not_the_value_it_quotes(
        traced_container: Any, exporter: InMemorySpanExporter) -> None:
    import psycopg

    from adapters.observability.tracing import TRACER

    exporter.clear()
    tracer = traced_container.tracing().tracer(TRACER)
    with tracer.start_as_current_span("operation"), \
            traced_container.worker_pool().connection() as conn, \
            pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("SELECT 'tracy-secret-value'::int")  # PostgreSQL quotes the value
    query = next(s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT
                 and "::int" in str((s.attributes or {}).get("db.statement")))
    assert query.status.description == "InvalidTextRepresentation"
    assert (query.attributes or {}).get("error.type") == "InvalidTextRepresentation"
    assert not query.events  # no exception event with the message


def test_a_vendor_call_is_traced_inside_its_operation_without_its_query_string(
        traced_container: Any, exporter: InMemorySpanExporter) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx

    class Vendor(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Vendor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    exporter.clear()
    try:
        with traced_container.tracing().tracer().start_as_current_span("operation"):
            answer = httpx.get(f"http://127.0.0.1:{server.server_address[1]}/messages"
                               "?token=vendor-secret&to=%2B34600000000")
        assert answer.status_code == 204
    finally:
        server.shutdown()
    call = next(s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT)
    assert call.parent is not None
    attributes = call.attributes or {}
    assert str(attributes.get("http.url")).endswith("/messages")
    assert not [v for v in attributes.values() if "vendor-secret" in str(v)
                or "34600000000" in str(v)]


# The logs as `serve` writes them (INFO, JSON on stderr), in a process of its own: this
# session's logging is configured once, at WARNING.
LOGGED = """
import json, sys
from entrypoints.logging import configure_logging
configure_logging("INFO")
from litestar.testing import TestClient
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from adapters.observability.tracing import Tracing
from entrypoints.http.app import create_app
from tests.conftest import built_container, provision

exporter = InMemorySpanExporter()
tracing = Tracing(SimpleSpanProcessor(exporter)).instrument()
with built_container(sys.argv[1], tracing=tracing) as container, \\
        TestClient(app=create_app(container)) as client:
    tenant = provision(client)
    exporter.clear()
    sys.stderr.write("--- the request\\n")
    answer = tenant.post("/v1/leads", json={"email": "logged@spans.example", "source": "web"},
                         headers={"X-Request-ID": "req-traced-1"})
    sys.stderr.flush()
    print(json.dumps({"status": answer.status_code, "spans": [
        {"name": s.name, "trace_id": f"{s.context.trace_id:032x}",
         "span_id": f"{s.context.span_id:016x}"} for s in exporter.get_finished_spans()]}))
tracing.close()
"""


def test_the_access_log_line_of_a_request_carries_its_trace_id_and_its_request_id(
        owner_url: str) -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run(
        [sys.executable, "-c", LOGGED, owner_url], capture_output=True, text=True, timeout=240,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 201
    server = next(s for s in result["spans"] if s["name"] == "POST /v1/leads")
    command = next(s for s in result["spans"] if s["name"] == "command CaptureLead")
    assert command["trace_id"] == server["trace_id"]

    after = done.stderr.split("--- the request\n", 1)[1]
    lines = [json.loads(line) for line in after.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request"
              and line.get("path") == "/v1/leads"]
    assert len(access) == 1, lines
    assert access[0]["trace_id"] == server["trace_id"]
    assert access[0]["span_id"] == server["span_id"]
    assert access[0]["request_id"] == "req-traced-1"  # the request id stays
    assert "logged@spans.example" not in done.stderr
