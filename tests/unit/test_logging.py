"""Logged exceptions carry their traceback, never the values of local variables (settings and
request bodies live there: database passwords, signing secrets, user passwords)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import logging, structlog
from entrypoints.logging import configure_logging
configure_logging("INFO")

def login(password):
    secret = "jwt-secret-" + password
    raise RuntimeError("boom")

for logger in (logging.getLogger("frontdesk.http"), structlog.get_logger("frontdesk.x")):
    try:
        login("hunter2-correct-horse")
    except RuntimeError:
        logger.exception("unhandled error")
"""


def test_a_logged_exception_shows_no_local_values() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
                          check=True)
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 2
    for line in lines:
        frames = line["exception"][0]["frames"]
        assert any(frame["name"] == "login" for frame in frames)  # the traceback is there
    assert "hunter2-correct-horse" not in done.stderr


def test_a_line_logged_inside_a_span_carries_its_trace_and_span_ids_and_none_outside() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    from entrypoints.logging import add_trace_ids

    tracer = TracerProvider().get_tracer("test")
    assert add_trace_ids(None, "info", {"event": "outside"}) == {"event": "outside"}
    with tracer.start_as_current_span("request") as span:
        line = add_trace_ids(None, "info", {"event": "inside", "request_id": "r-1"})
    context = span.get_span_context()
    assert line == {"event": "inside", "request_id": "r-1",
                    "trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}
