"""The embedded PostgreSQL is configured for the service: enough connections for a few
processes' claims and pools, and shared buffers that hold the memory index (ADR 0041); a data
directory it cannot open is refused and left alone (ADR 0064)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from adapters.postgres.embedded import (
    MAX_CONNECTIONS,
    SETTINGS,
    DataDirectoryIncompatible,
    EmbeddedPostgres,
)
from tests.processes import FRONTDESK


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL"))
                    or os.environ.get("FRONTDESK_TEST_DB") == "docker",
                    reason="only the embedded server is configured by Frontdesk")
def test_the_embedded_server_runs_with_frontdesk_settings(owner_url: str) -> None:
    with psycopg.connect(owner_url, autocommit=True) as conn:
        connections = conn.execute("SELECT current_setting('max_connections')::int").fetchone()
        buffers = conn.execute("SELECT pg_size_bytes(current_setting('shared_buffers'))"
                               ).fetchone()
    assert connections == (MAX_CONNECTIONS,)
    assert buffers is not None and buffers[0] == 1024 ** 3
    assert SETTINGS["shared_buffers"] == "1GB"


def test_a_data_directory_of_another_major_is_refused_with_what_to_do_and_left_as_it_was(
        tmp_path: Path) -> None:
    """`make run` on a ./.data written by another PostgreSQL major: one sentence that says what
    to do, exit status 2, and not a byte of the directory changed."""
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("16\n")
    (pgdata / "base").mkdir()
    (pgdata / "base" / "1").write_bytes(b"\x00table pages\x00")
    before = {p: p.read_bytes() for p in pgdata.rglob("*") if p.is_file()}

    with pytest.raises(DataDirectoryIncompatible, match="PostgreSQL 16") as refused:
        EmbeddedPostgres(tmp_path)
    assert f"mv {pgdata.resolve()} {pgdata.resolve()}.pg16" in str(refused.value)

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    served = subprocess.run([FRONTDESK, "serve"], env={**env, "FRONTDESK_DATA_DIR": str(tmp_path)},
                            capture_output=True, text=True, timeout=60)
    assert served.returncode == 2
    assert served.stderr.startswith("frontdesk: ") and "Traceback" not in served.stderr
    assert "cannot open it. Nothing in it was changed" in " ".join(served.stderr.split())
    assert {p: p.read_bytes() for p in pgdata.rglob("*") if p.is_file()} == before
