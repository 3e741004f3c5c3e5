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
