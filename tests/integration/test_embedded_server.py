"""The embedded PostgreSQL is configured for the service: enough connections for a few
processes' claims and pools, and shared buffers that hold the memory index (ADR 0041)."""

from __future__ import annotations

import os

import psycopg
import pytest

from adapters.postgres.embedded import MAX_CONNECTIONS, SETTINGS


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
