"""The README's conversations tour runs verbatim against `frontdesk serve` (a real server
process, the default offline assistant, Twilio webhooks signed with the twilio SDK)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from tests.conftest import ROOT
from tests.serving import served


def tour_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- conversations-tour:start -->")[1].split(
        "<!-- conversations-tour:end -->")[0]
    return "\n".join(re.findall(r"```bash\n(.*?)```", section, flags=re.S))


def test_the_conversations_tour_works_verbatim(owner_url: str, container: Any) -> None:
    with served(owner_url, TWILIO_AUTH_TOKEN="dev-twilio-token",
                FRONTDESK_PUBLIC_URL="https://frontdesk.example.com") as service:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", tour_script()], cwd=ROOT,
                                env={**service.env, "DATABASE_URL": owner_url},  # the operator
                                capture_output=True, text=True, timeout=120)
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
