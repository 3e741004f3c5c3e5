"""The README's conversations tour runs verbatim against `frontdesk serve` (a real server
process, the default offline assistant, Twilio webhooks signed with the twilio SDK)."""

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
    section = readme.split("<!-- conversations-tour:start -->")[1].split(
        "<!-- conversations-tour:end -->")[0]
    return "\n".join(re.findall(r"```bash\n(.*?)```", section, flags=re.S))


def test_the_conversations_tour_works_verbatim(owner_url: str, container: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": owner_url, "ADMIN_API_TOKEN": "dev-admin-token",
           "FRONTDESK_PORT": str(port), "FRONTDESK_LOG_LEVEL": "WARNING",
           "TWILIO_AUTH_TOKEN": "dev-twilio-token",
           "FRONTDESK_PUBLIC_URL": "https://frontdesk.example.com"}
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
    assert '"passages":2' in out
    assert "<Response></Response>" in out and "/problems/bad-signature" in out
    assert "event: started" in out and "event: delta" in out and "event: done" in out
    assert "offline assistant" in out and "300 EUR" in out
    assert "waiting_for_agent" in out and "/problems/rule-violated" in out
    assert "agent_handling" in out and "\nqueued\n" in out
    assert "resolved" in out and "\n5\n" in out
    assert "'type': 'ConversationResolved'" in out and "'type': 'CsatRecorded'" in out
    assert '"provider":"local"' in out
