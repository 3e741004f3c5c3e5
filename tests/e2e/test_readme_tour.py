"""The README's curl tour runs verbatim against `frontdesk serve` (a real server process)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from tests.conftest import ROOT
from tests.serving import served


def tour_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- tour:start -->")[1].split("<!-- tour:end -->")[0]
    return "\n".join(re.findall(r"```bash\n(.*?)```", section, flags=re.S))


def test_the_readme_tour_works_verbatim(owner_url: str, container: Any) -> None:
    with served(owner_url, FRONTDESK_IN_PROCESS_PROJECTIONS="true") as service:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", tour_script()], cwd=ROOT,
                                env={**service.env, "DATABASE_URL": owner_url},  # the operator
                                capture_output=True, text=True, timeout=120)
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
