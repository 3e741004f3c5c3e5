"""The OpenAPI document is the exact contract: ``docs/openapi.json`` is what the API serves,
byte for byte in its committed form, and ``make openapi`` is the one command that writes it."""

from __future__ import annotations

import difflib
import os
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from entrypoints.http.openapi import committed_form
from tests.conftest import ROOT

COMMITTED = ROOT / "docs" / "openapi.json"
REGENERATE = "make openapi"


def _drift(expected: str, actual: str) -> str:
    lines = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                      "docs/openapi.json", "/schema/openapi.json", lineterm="",
                                      n=1))
    return "\n".join(lines[:60])


def test_the_served_document_is_the_committed_one(client: TestClient[Any]) -> None:
    answer = client.get("/schema/openapi.json")
    assert answer.status_code == 200
    served = committed_form(answer.json())
    committed = COMMITTED.read_text(encoding="utf-8")
    assert served == committed, (
        f"the API's OpenAPI document drifted from docs/openapi.json: run `{REGENERATE}` and "
        f"commit the result\n{_drift(committed, served)}")


def test_its_version_is_the_packages_version(client: TestClient[Any]) -> None:
    package = version("frontdesk")
    assert client.get("/schema/openapi.json").json()["info"]["version"] == package
    assert '"version": "' + package + '"' in COMMITTED.read_text(encoding="utf-8")


def test_the_regeneration_command_writes_what_is_served(client: TestClient[Any], owner_url: str,
                                                        tmp_path: Path) -> None:
    """What `make openapi` runs, without a server, on the suite's database."""
    written = tmp_path / "openapi.json"
    result = subprocess.run([str(ROOT / ".venv/bin/frontdesk"), "openapi", str(written)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DATABASE_URL": owner_url,
                                 "FRONTDESK_LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stdout + result.stderr
    served = committed_form(client.get("/schema/openapi.json").json())
    assert written.read_text(encoding="utf-8") == served
