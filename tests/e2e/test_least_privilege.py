"""Least privilege of processes (ADR 0072): migrations are a release step; `serve` holds and
uses the API role only, answers LTV as of a past moment without the worker, and refuses the
owner in production; the read-only commands never migrate."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import PASSWORD, ROOT
from tests.serving import OWNER_AND_ROLE_SETTINGS, migrated, served
from tests.unit.test_settings import strong

FRONTDESK = str(ROOT / ".venv/bin/frontdesk")


def test_the_api_process_holds_and_uses_only_the_api_role(owner_url: str) -> None:
    app_name = f"fd-api-{uuid.uuid4().hex[:8]}"
    roles = migrated(owner_url)
    with served(owner_url, FRONTDESK_IN_PROCESS_PROJECTIONS="false",
                PGAPPNAME=app_name) as service:
        assert service.process is not None
        slug = f"least-{uuid.uuid4().hex[:8]}"
        created = httpx.post(f"{service.url}/v1/admin/tenants", timeout=30,
                             headers={"Authorization": "Bearer dev-admin-token"},
                             json={"name": "Least", "slug": slug,
                                   "admin_email": f"a@{slug}.example",
                                   "admin_password": PASSWORD})
        assert created.status_code == 201, created.text
        token = httpx.post(f"{service.url}/v1/auth/login", timeout=30, json={
            "tenant": slug, "email": f"a@{slug}.example", "password": PASSWORD}
                           ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        lead = httpx.post(f"{service.url}/v1/leads", headers=auth, timeout=30,
                          json={"name": "Ann", "email": f"ann@{slug}.example",
                                "source": "web"})
        assert lead.status_code == 201, lead.text
        # LTV as of a past moment: recomputed from the tenant's events, as the API's role.
        as_of = httpx.get(f"{service.url}/v1/analytics/ltv", headers=auth, timeout=30,
                          params={"as_of": "2030-01-01T00:00:00Z", "group_by": "source"})
        assert as_of.status_code == 200, as_of.text
        assert as_of.json()["as_of"].startswith("2030-01-01")
        ready = httpx.get(f"{service.url}/health/ready", timeout=30)
        assert ready.status_code == 200, ready.text
        assert httpx.get(f"{service.url}/metrics", timeout=30).status_code == 200

        environ = Path(f"/proc/{service.process.pid}/environ").read_bytes().decode()
        names = {item.partition("=")[0] for item in environ.split("\0") if item}
        assert not names & {"DATABASE_URL", "FRONTDESK_WORKER_DATABASE_URL",
                            "FRONTDESK_WORKER_DB_PASSWORD"}
        assert owner_url not in environ and roles.worker_url not in environ
        assert "FRONTDESK_API_DATABASE_URL" in names

        with psycopg.connect(owner_url) as conn:
            users = {row[0] for row in conn.execute(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = %s",
                (app_name,))}
        assert users == {"frontdesk_app"}


def test_production_refuses_to_serve_holding_owner_credentials(owner_url: str) -> None:
    inherited = {k: v for k, v in os.environ.items() if k not in OWNER_AND_ROLE_SETTINGS}
    settings = {name: str(value) for name, value in strong().items()}
    refused = subprocess.run(
        [FRONTDESK, "serve"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**inherited, **settings, "DATABASE_URL": owner_url,
             "FRONTDESK_IN_PROCESS_PROJECTIONS": "false"})
    assert refused.returncode == 2
    assert "refuses to serve holding DATABASE_URL" in refused.stderr


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A database of its own on the session's embedded server, never migrated."""
    if os.environ.get("DATABASE_URL") or os.environ.get("FRONTDESK_TEST_DB"):
        pytest.skip("creates a database on the embedded server")
    from adapters.postgres.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(ROOT / ".data")
    name = f"frontdesk_unmigrated_{uuid.uuid4().hex[:8]}"
    yield server.url(name)
    server.drop(name)


def _cli(owner_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if k not in OWNER_AND_ROLE_SETTINGS}
    return subprocess.run([FRONTDESK, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**inherited, "DATABASE_URL": owner_url,
                                            "FRONTDESK_LOG_LEVEL": "WARNING"})


def _schema(owner_url: str) -> str | None:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return None
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return version[0] if version else None


READ_ONLY = [("projections", "status"), ("events", "dump"),
             ("projections", "as-of", "ltv", "--at", "2026-01-31")]


def test_read_only_commands_refuse_a_database_behind_the_code_and_change_nothing(
        fresh_database: str) -> None:
    for command in READ_ONLY:
        refused = _cli(fresh_database, *command)
        assert refused.returncode == 2, (command, refused.stdout, refused.stderr)
        assert "frontdesk migrate" in refused.stderr, refused.stderr
        assert _schema(fresh_database) is None  # never migrated
    assert _cli(fresh_database, "migrate").returncode == 0
    head = _schema(fresh_database)
    assert head is not None
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0010'")  # a release behind
    refused = _cli(fresh_database, "projections", "status")
    assert refused.returncode == 2 and "0010" in refused.stderr, refused.stderr
    assert _schema(fresh_database) == "0010"
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = %s", (head,))
    status = _cli(fresh_database, "projections", "status")
    assert status.returncode == 0, status.stderr
    assert "ltv" in status.stdout
