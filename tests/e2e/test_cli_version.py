"""`frontdesk --version` prints the installed distribution's version (its package metadata,
which pyproject.toml's version becomes at install) and exits without touching a database."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

from tests.conftest import ROOT
from tests.processes import FRONTDESK


def test_frontdesk_version_prints_the_installed_version(tmp_path: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    # A data directory that does not exist, and no DATABASE_URL: nothing is started.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    shown = subprocess.run([FRONTDESK, "--version"], capture_output=True, text=True, timeout=60,
                           env={**env, "FRONTDESK_DATA_DIR": str(tmp_path / "unused")})
    assert (shown.returncode, shown.stdout) == (0, f"frontdesk {version}\n"), shown.stderr
    assert not (tmp_path / "unused").exists()
