"""The README's contact-center walk-through runs verbatim against `frontdesk serve`."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from typing import Any

import httpx

from tests.conftest import ROOT


def walk_through() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- contact-center-tour:start -->")[1].split(
        "<!-- contact-center-tour:end -->")[0]
    return "\n".join(re.findall(r"```bash\n(.*?)```", section, flags=re.S))


def test_the_readme_contact_center_walk_through_works_verbatim(owner_url: str,
                                                               container: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": owner_url, "ADMIN_API_TOKEN": "dev-admin-token",
           "FRONTDESK_PORT": str(port), "FRONTDESK_LOG_LEVEL": "WARNING",
           "FRONTDESK_IN_PROCESS_PROJECTIONS": "true"}
    server = subprocess.Popen([str(ROOT / ".venv/bin/frontdesk"), "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", walk_through()], cwd=ROOT,
                                env={**env, "API": f"http://127.0.0.1:{port}"},
                                capture_output=True, text=True, timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=20)
    out = result.stdout
    assert result.returncode == 0, result.stderr + out
    lines = out.splitlines()
    assert '"slug":"sunny-calls"' in out
    assert "available" in lines and "reserved for Ana" in lines
    assert "accepted" in lines and "wrap_up" in lines
    assert '"disposition":"APPOINTMENT_BOOKED"' in out and '"status":"completed"' in out
    assert "'code': 'APPOINTMENT_BOOKED'" in out
    overview = json.loads(next(line for line in lines if line.startswith('{"at"')))
    [queue] = overview["queues"]
    assert (queue["answered_today"], queue["met_today"], queue["waiting"]) == (1, 1, 0)
    assert queue["sla_attainment_today"] == 1.0
    assert overview["agents_by_status"]["available"] == 2
    day = json.loads(lines[-1])["items"]
    assert len(day) == 1 and day[0]["tasks_handled"] == 1
