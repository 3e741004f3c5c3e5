"""Sessions (ADR 0079): logout, refresh tokens with rotation and reuse detection, re-hashing."""

from __future__ import annotations

from typing import Any

import psycopg
from argon2 import PasswordHasher
from litestar.testing import TestClient

from tests.conftest import PASSWORD, TenantSession
from tests.e2e.test_access import _app_with, add_user, bearer, login


def _session(tenant: TenantSession, email: str) -> dict[str, Any]:
    answer = login(tenant.client, tenant.slug, email)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _refresh(client: TestClient[Any], token: str) -> Any:
    return client.post("/v1/auth/refresh", json={"refresh_token": token})


def test_logout_revokes_that_token_at_once_in_every_process(
        tenant: TenantSession, owner_url: str) -> None:
    agent = add_user(tenant, ["agent"])
    first, second = _session(tenant, agent["email"]), _session(tenant, agent["email"])
    with TestClient(_app_with(owner_url), raise_server_exceptions=False) as other_process:
        assert other_process.get("/v1/leads", headers=bearer(first["access_token"])
                                 ).status_code == 200
        out = tenant.client.post("/v1/auth/logout", headers=bearer(first["access_token"]))
        assert out.status_code == 204, out.text
        for client in (tenant.client, other_process):
            refused = client.get("/v1/leads", headers=bearer(first["access_token"]))
            assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
            assert client.get("/v1/leads", headers=bearer(second["access_token"])
                              ).status_code == 200
    ended = _refresh(tenant.client, first["refresh_token"])  # the session ended with it
    assert ended.status_code == 401
    assert ended.headers["content-type"].startswith("application/problem+json")


def test_refresh_rotates_and_a_reused_token_ends_the_whole_family(
        tenant: TenantSession) -> None:
    agent = add_user(tenant, ["agent"])
    start = _session(tenant, agent["email"])
    other = _session(tenant, agent["email"])
    turned = _refresh(tenant.client, start["refresh_token"])
    assert turned.status_code == 200, turned.text
    fresh = turned.json()
    assert fresh["refresh_token"] != start["refresh_token"]
    assert tenant.client.get("/v1/leads", headers=bearer(fresh["access_token"])
                             ).status_code == 200
    reused = _refresh(tenant.client, start["refresh_token"])
    assert reused.status_code == 401 and reused.json()["type"].endswith("/invalid-refresh-token")
    for access in (start["access_token"], fresh["access_token"]):
        assert tenant.client.get("/v1/leads", headers=bearer(access)).status_code == 401
    assert _refresh(tenant.client, fresh["refresh_token"]).status_code == 401
    assert tenant.client.get("/v1/leads", headers=bearer(other["access_token"])
                             ).status_code == 200
    assert _refresh(tenant.client, other["refresh_token"]).status_code == 200


def test_an_expired_unknown_or_other_tenants_refresh_token_is_401(
        tenant: TenantSession, other_tenant: TenantSession, owner_url: str) -> None:
    agent = add_user(tenant, ["agent"])
    session = _session(tenant, agent["email"])
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' "
                     "WHERE tenant_id = %s AND access_token_id = %s",
                     (tenant.id, _jti(session["access_token"])))
    expired = _refresh(tenant.client, session["refresh_token"])
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert tenant.client.get("/v1/leads", headers=bearer(session["access_token"])
                             ).status_code == 401  # the family ended
    theirs = _session(other_tenant, f"owner@{other_tenant.slug}.example")["refresh_token"]
    forged = "fdr_" + tenant.id.replace("-", "") + theirs[36:]  # another tenant's secret
    for bad in (forged, "fdr_nonsense", "x" * 200):
        answer = _refresh(tenant.client, bad)
        assert answer.status_code == 401, answer.text
    assert _refresh(tenant.client, theirs).status_code == 200


def _jti(token: str) -> str:
    import jwt

    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def test_an_api_key_cannot_log_out(tenant: TenantSession) -> None:
    key = tenant.post("/v1/api-keys", json={"name": "form", "roles": ["agent"]}).json()["key"]
    answer = tenant.client.post("/v1/auth/logout", headers=bearer(key))
    assert answer.status_code == 400
    assert tenant.client.get("/v1/leads", headers=bearer(key)).status_code == 200


def test_a_weaker_password_hash_is_replaced_at_login(tenant: TenantSession,
                                                      owner_url: str) -> None:
    agent = add_user(tenant, ["agent"])
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("UPDATE users SET password_hash = %s WHERE tenant_id = %s AND id = %s",
                     (weak, tenant.id, agent["id"]))
        assert login(tenant.client, tenant.slug, agent["email"]).status_code == 200
        stored = conn.execute("SELECT password_hash FROM users WHERE tenant_id = %s AND id = %s",
                              (tenant.id, agent["id"])).fetchone()
    assert stored is not None and stored[0] != weak
    assert "$m=19456,t=2," in stored[0]
    assert not PasswordHasher(time_cost=2, memory_cost=19_456).check_needs_rehash(stored[0])
    assert login(tenant.client, tenant.slug, agent["email"]).status_code == 200
