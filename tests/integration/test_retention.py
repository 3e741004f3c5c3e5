"""Retention (ADR 0061): stored answers of Idempotency-Keys, login entries and ended rate
windows are deleted after their period, in every tenant, by the worker role; everything
younger stays and still works."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from adapters.privacy.retention import Retention
from tests.conftest import TenantSession


def owner(owner_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(owner_url, autocommit=True)


def capture(tenant: TenantSession, key: str) -> Any:
    return tenant.post("/v1/leads", json={"email": f"{key}@example.com", "source": "web"},
                       headers={"Idempotency-Key": key})


def keys_of(owner_url: str, tenant: TenantSession) -> set[str]:
    with owner(owner_url) as conn:
        return {r[0] for r in conn.execute(
            "SELECT key FROM idempotency_keys WHERE tenant_id = %s", (tenant.id,))}


def login_entries(owner_url: str, tenant: TenantSession) -> int:
    with owner(owner_url) as conn:
        row = conn.execute("SELECT count(*) FROM auth_events WHERE tenant_id = %s",
                           (tenant.id,)).fetchone()
        assert row is not None
        return int(row[0])


def test_old_stored_answers_login_entries_and_rate_windows_go_and_the_rest_stays(
        container: Any, owner_url: str, tenant: TenantSession,
        other_tenant: TenantSession) -> None:
    for session in (tenant, other_tenant):
        assert capture(session, f"old-{session.slug}").status_code == 201
    fresh = capture(tenant, "fresh-key")
    assert fresh.status_code == 201
    logins_before = login_entries(owner_url, tenant)
    assert logins_before >= 1
    with owner(owner_url) as conn:  # age some rows past their retention, in both tenants
        conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
                     "WHERE key LIKE 'old-%%' AND tenant_id = ANY(%s::uuid[])",
                     ([tenant.id, other_tenant.id],))
        conn.execute("UPDATE auth_events SET occurred_at = now() - interval '401 days' "
                     "WHERE tenant_id = %s AND id = (SELECT id FROM auth_events "
                     "WHERE tenant_id = %s ORDER BY occurred_at LIMIT 1)",
                     (tenant.id, tenant.id))
        conn.execute("INSERT INTO rate_counters (key, window_start, hits, expires_at) VALUES "
                     "('test:ended', 1, 3, now() - interval '1 second'), "
                     "('test:open', 1, 3, now() + interval '1 hour')")

    kept_forever = Retention(container.worker_pool(), idempotency_keys=timedelta(days=3650),
                             auth_events=None)
    assert kept_forever.run_once().auth_events == 0
    assert login_entries(owner_url, tenant) == logins_before

    pruned = container.privacy.retention().run_once()  # the settings' defaults: 24 hours, 400 days
    assert pruned.idempotency_keys >= 2 and pruned.auth_events >= 1
    assert keys_of(owner_url, tenant) == {"fresh-key"}
    assert keys_of(owner_url, other_tenant) == set()
    assert login_entries(owner_url, tenant) == logins_before - 1
    with owner(owner_url) as conn:
        left = {r[0] for r in conn.execute(
            "SELECT key FROM rate_counters WHERE key LIKE 'test:%'")}
    assert left == {"test:open"}

    replay = capture(tenant, "fresh-key")  # a key within its period still replays
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["id"] == fresh.json()["id"]
    again = capture(tenant, f"old-{tenant.slug}")  # past it, the retry runs again
    assert again.headers.get("Idempotent-Replayed") is None
    assert again.status_code == 409 and again.json()["existing_id"]  # the lead exists
