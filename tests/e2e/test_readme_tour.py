"""The README's curl tour runs verbatim against `frontdesk serve` (a real server process)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from typing import Any

import httpx

from tests.conftest import ROOT


def tour_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- tour:start -->")[1].split("<!-- tour:end -->")[0]
    return "\n".join(re.findall(r"```bash\n(.*?)```", section, flags=re.S))


def test_the_readme_tour_works_verbatim(owner_url: str, container: Any) -> None:
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
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", tour_script()], cwd=ROOT,
                                env={**env, "API": f"http://127.0.0.1:{port}"},
                                capture_output=True, text=True, timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=20)
    out = result.stdout
    assert result.returncode == 0, result.stderr + out
    assert '"slug":"bright-smile"' in out
    assert '"status":"qualified"' in out
    assert "/problems/stale-version" in out
    assert "/problems/duplicate-lead" in out
    assert '"accepted":1' in out and '"rejected":1' in out
    assert '"type":"LeadQualified"' in out
    assert '"status":"ready"' in out
    # the memory search explains its scores; the entity of the query boosts the follow-up
    assert '"kind":"follow_up"' in out and '"entity_boost":0.25' in out
    assert '"similarity":' in out and '"decay":' in out
    # the export, then an erasure whose rebuilds succeed and whose history reads [erased]
    assert '"contact": {"id"' in out or '"contact":{"id"' in out
    assert '"data_key":"destroyed"' in out
    assert "memories: " in out and "ltv: " in out and "swapped in" in out
    # after the erasure the payment still counts, anonymously, for accounting
    assert out.split('"data_key"')[1].count('"key":"web_form","currency":"EUR","customers":1') == 1
    assert '"notes":"[erased]"' in out and "Ana Ruiz" not in out.split('"data_key"')[1]
    assert '"status":"quoted"' in out and '"total":57550' in out
    assert "%PDF-" in out  # the proposal
    assert "in_progress\nTrue\n" in out  # paid, then the repeated reference ignored
    assert '"group_by":"contact"' in out and '"net":57550' in out
    assert '"key":"web_form","currency":"EUR","customers":1' in out
    assert '"group_by":"cohort","as_of":"2020-01-01T00:00:00Z"' in out
