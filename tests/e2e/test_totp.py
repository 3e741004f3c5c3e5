"""The TOTP second factor at login (ADR 0081), over HTTP against the real database: enrolment and
confirmation, logins with and without a code, wrong codes throttled like wrong passwords, no
code accepted twice, the tenant's requirement for admins, turning it off, tenant isolation."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pyotp
from litestar.testing import TestClient
from psycopg.rows import dict_row

from tests.conftest import PASSWORD, TenantSession
from tests.e2e.test_access import _app_with, _documentation_address, add_user, bearer, token_of

PROBLEMS = "https://frontdesk.dev/problems/"


def code(secret: str, offset: int = 0) -> str:
    """The code of the step ``offset`` steps from now (-1, 0 and 1 are accepted; a later
    offset in a test is always a later step, whatever the clock did meanwhile)."""
    return pyotp.TOTP(secret).generate_otp(int(time.time()) // 30 + offset)


def wrong_code(secret: str) -> str:
    """A code that matches none of the accepted steps."""
    accepted = {code(secret, offset) for offset in (-2, -1, 0, 1, 2)}
    candidate = int(code(secret))
    while f"{candidate:06d}" in accepted:
        candidate = (candidate + 1) % 1_000_000
    return f"{candidate:06d}"


def login(client: TestClient[Any], slug: str, email: str, totp_code: str | None = None,
          password: str = PASSWORD, **headers: str) -> Any:
    body = {"tenant": slug, "email": email, "password": password}
    if totp_code is not None:
        body["totp_code"] = totp_code
    return client.post("/v1/auth/login", json=body, headers=headers)


def enrol(client: TestClient[Any], token: str) -> str:
    """Start and confirm enrolment (with the previous step's code); the secret."""
    started = client.post("/v1/auth/totp", headers=bearer(token))
    assert started.status_code == 201, started.text
    secret = str(started.json()["secret"])
    confirmed = client.post("/v1/auth/totp/confirm", headers=bearer(token),
                            json={"code": code(secret, -1)})
    assert confirmed.status_code == 200, confirmed.text
    return secret


def audit(tenant: TenantSession, **params: str) -> list[dict[str, Any]]:
    return list(tenant.get("/v1/audit", params=params).json()["items"])


def test_a_user_enrols_confirms_and_then_logs_in_only_with_a_current_code(
        tenant: TenantSession, owner_url: str) -> None:
    user = add_user(tenant, ["agent"])
    token = token_of(tenant, user)
    client = tenant.client
    assert client.get("/v1/auth/totp", headers=bearer(token)).json() == {
        "status": "off", "enabled_at": None}
    started = client.post("/v1/auth/totp", headers=bearer(token))
    assert started.status_code == 201, started.text
    secret, uri = started.json()["secret"], started.json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/Frontdesk:") and f"secret={secret}" in uri
    assert pyotp.parse_uri(uri).now() == pyotp.TOTP(secret).now()
    assert client.get("/v1/auth/totp", headers=bearer(token)).json()["status"] == "pending"
    assert login(client, tenant.slug, user["email"]).status_code == 200  # not on until confirmed

    refused = client.post("/v1/auth/totp/confirm", headers=bearer(token),
                          json={"code": wrong_code(secret)})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "code"
    assert client.get("/v1/auth/totp", headers=bearer(token)).json()["status"] == "pending"
    confirmed = client.post("/v1/auth/totp/confirm", headers=bearer(token),
                            json={"code": code(secret, -1)})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "enabled" and confirmed.json()["enabled_at"]

    with psycopg.connect(owner_url, row_factory=dict_row) as conn:  # sealed at rest
        row = conn.execute("SELECT kek_id, wrapped_secret FROM totp_factors "
                           "WHERE user_id = %s", (user["id"],)).fetchone()
    assert row is not None and secret.encode() not in bytes(row["wrapped_secret"])

    missing = login(client, tenant.slug, user["email"])
    assert missing.status_code == 401, missing.text
    assert missing.json()["type"] == PROBLEMS + "totp-required"
    assert "access_token" not in missing.json()
    wrong_password = login(client, tenant.slug, user["email"], code(secret), "wrong password!")
    assert wrong_password.json()["type"] == PROBLEMS + "invalid-credentials"
    session = login(client, tenant.slug, user["email"], code(secret))
    assert session.status_code == 200, session.text
    assert client.get("/v1/leads", headers=bearer(session.json()["access_token"])
                      ).status_code == 200
    again = client.post("/v1/auth/totp", headers=bearer(token))
    assert again.status_code == 409 and again.json()["type"] == PROBLEMS + "totp-already-enabled"
    actions = {e["action"] for e in audit(tenant, resource_id=user["id"])}
    assert {"totp.enrolment_started", "totp.enabled", "login.succeeded"} <= actions


def test_a_wrong_code_is_401_and_throttled_like_a_wrong_password(
        owner_url: str, tenant: TenantSession) -> None:
    user = add_user(tenant, ["agent"])
    secret = enrol(tenant.client, token_of(tenant, user))
    app = _app_with(owner_url, FRONTDESK_LOGIN_THROTTLE_PER_ACCOUNT=3,
                    FRONTDESK_LOGIN_THROTTLE_PER_IP=50, FRONTDESK_RATE_LIMIT_PER_IP=0,
                    FRONTDESK_RATE_LIMIT_PER_TENANT=0, FRONTDESK_TRUST_FORWARDED_FOR=True)
    proxied = {"X-Forwarded-For": _documentation_address()}
    with TestClient(app) as client:
        for _ in range(3):
            wrong = login(client, tenant.slug, user["email"], wrong_code(secret), **proxied)
            assert wrong.status_code == 401
            assert wrong.json()["type"] == PROBLEMS + "invalid-totp-code"
        throttled = login(client, tenant.slug, user["email"], code(secret), **proxied)
        assert throttled.status_code == 429  # even with the right code
        assert throttled.json()["type"] == PROBLEMS + "too-many-attempts"
        assert 1 <= int(throttled.headers["retry-after"]) <= 900
    failed = audit(tenant, resource_id=user["id"], action="login.failed")
    assert len(failed) == 3 and all(e["detail"] == {"reason": "totp_code"} for e in failed)


def test_a_code_is_accepted_once(tenant: TenantSession) -> None:
    user = add_user(tenant, ["supervisor"])
    secret = enrol(tenant.client, token_of(tenant, user))  # used the step before now
    client = tenant.client
    first = code(secret, 0)
    assert login(client, tenant.slug, user["email"], first).status_code == 200
    replayed = login(client, tenant.slug, user["email"], first)
    assert replayed.status_code == 401
    assert replayed.json()["type"] == PROBLEMS + "invalid-totp-code"
    assert "used" in replayed.json()["detail"]
    earlier = login(client, tenant.slug, user["email"], code(secret, -1))  # the confirming one
    assert earlier.status_code == 401
    assert login(client, tenant.slug, user["email"], code(secret, 1)).status_code == 200


def test_admins_must_enrol_when_the_tenant_requires_it(tenant: TenantSession) -> None:
    admin, agent = add_user(tenant, ["admin"]), add_user(tenant, ["agent"])
    client = tenant.client
    assert tenant.get("/v1/totp-policy").json() == {"admins_require_totp": False}
    put = client.put("/v1/totp-policy", headers=tenant.headers,
                     json={"admins_require_totp": True})
    assert put.status_code == 200 and put.json() == {"admins_require_totp": True}
    assert login(client, tenant.slug, agent["email"]).status_code == 200  # admins only
    assert tenant.get("/v1/users").status_code == 200  # sessions already open go on

    refused = login(client, tenant.slug, admin["email"])
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["type"] == PROBLEMS + "totp-enrolment-required"
    assert "access_token" not in problem and problem["expires_in"] == 600
    enrolment = problem["enrolment_token"]
    for method, path in (("GET", "/v1/users"), ("GET", "/v1/leads"),
                         ("POST", "/v1/auth/logout"), ("POST", "/v1/auth/totp/disable"),
                         ("PUT", "/v1/totp-policy")):
        answer = client.request(method, path, headers=bearer(enrolment), json={})
        assert answer.status_code == 403, (method, path, answer.text)
    assert client.get("/v1/auth/totp", headers=bearer(enrolment)).json()["status"] == "off"
    secret = enrol(client, enrolment)

    assert login(client, tenant.slug, admin["email"]).json()["type"] == PROBLEMS + "totp-required"
    session = login(client, tenant.slug, admin["email"], code(secret))
    assert session.status_code == 200, session.text
    full = bearer(session.json()["access_token"])
    assert client.get("/v1/users", headers=full).status_code == 200
    kept = client.post("/v1/auth/totp/disable", headers=full, json={"code": code(secret, 1)})
    assert kept.status_code == 409 and kept.json()["type"] == PROBLEMS + "totp-required-for-admins"
    own = client.delete(f"/v1/users/{admin['id']}/totp", headers=full)
    assert own.status_code == 409
    assert own.json()["type"] == PROBLEMS + "totp-own-factor-needs-code"
    assert login(client, tenant.slug, admin["email"]).status_code == 401  # still on
    changed = audit(tenant, action="totp_policy.changed")
    assert len(changed) == 1 and changed[0]["detail"] == {"admins_require_totp": True}
    assert audit(tenant, resource_id=admin["id"], action="login.totp_enrolment_required")


def test_a_user_turns_totp_off_with_a_code_and_an_admin_removes_anothers(
        tenant: TenantSession) -> None:
    own, lost = add_user(tenant, ["agent"]), add_user(tenant, ["analyst"])
    client = tenant.client
    own_token = token_of(tenant, own)
    own_secret = enrol(client, own_token)
    wrong = client.post("/v1/auth/totp/disable", headers=bearer(own_token),
                        json={"code": wrong_code(own_secret)})
    assert wrong.status_code == 422
    assert login(client, tenant.slug, own["email"]).status_code == 401  # still on
    off = client.post("/v1/auth/totp/disable", headers=bearer(own_token),
                      json={"code": code(own_secret, 0)})
    assert off.status_code == 204, off.text
    assert client.get("/v1/auth/totp", headers=bearer(own_token)).json()["status"] == "off"
    assert login(client, tenant.slug, own["email"]).status_code == 200
    again = client.post("/v1/auth/totp/disable", headers=bearer(own_token),
                        json={"code": code(own_secret, 1)})
    assert again.status_code == 409 and again.json()["type"] == PROBLEMS + "totp-not-enabled"

    enrol(client, token_of(tenant, lost))
    assert login(client, tenant.slug, lost["email"]).status_code == 401
    removed = client.delete(f"/v1/users/{lost['id']}/totp", headers=tenant.headers)
    assert removed.status_code == 204, removed.text
    assert login(client, tenant.slug, lost["email"]).status_code == 200
    assert client.delete(f"/v1/users/{lost['id']}/totp", headers=tenant.headers
                         ).status_code == 409
    entries = audit(tenant, resource_id=lost["id"], action="totp.removed")
    assert len(entries) == 1 and entries[0]["actor"].startswith("user:")
    assert entries[0]["actor"] != f"user:{lost['id']}"
    assert audit(tenant, resource_id=own["id"], action="totp.disabled")


def test_another_tenant_cannot_see_or_affect_a_users_totp(
        tenant: TenantSession, other_tenant: TenantSession, container: Any) -> None:
    user = add_user(tenant, ["agent"])
    enrol(tenant.client, token_of(tenant, user))
    client = tenant.client
    theirs = client.delete(f"/v1/users/{user['id']}/totp", headers=other_tenant.headers)
    assert theirs.status_code == 404
    assert login(client, tenant.slug, user["email"]).json()["type"] == PROBLEMS + "totp-required"
    assert client.put("/v1/totp-policy", headers=other_tenant.headers,
                      json={"admins_require_totp": True}).status_code == 200
    assert tenant.get("/v1/totp-policy").json() == {"admins_require_totp": False}
    assert login(client, tenant.slug, f"owner@{tenant.slug}.example").status_code == 200
    with psycopg.connect(container.database().app_url, row_factory=dict_row) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (other_tenant.id,))
        seen = conn.execute("SELECT count(*) AS n FROM totp_factors").fetchone()
        changed = conn.execute("DELETE FROM totp_factors WHERE user_id = %s",
                               (user["id"],)).rowcount
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (tenant.id,))
        own = conn.execute("SELECT count(*) AS n FROM totp_factors WHERE user_id = %s",
                           (user["id"],)).fetchone()
    assert seen == {"n": 0} and changed == 0 and own == {"n": 1}


def test_a_kek_rotation_rewraps_totp_secrets_and_codes_still_verify(
        tenant: TenantSession, container: Any) -> None:
    import base64
    import os
    import uuid

    from adapters.crypto.keys import KeyEncryptionKeys
    from adapters.crypto.rotation import rotate_data_keys
    from adapters.identity.email_secrets import PostgresEmailSecrets
    from adapters.identity.totp import PostgresFactorStore

    user = add_user(tenant, ["agent"])
    secret = enrol(tenant.client, token_of(tenant, user))
    email_secret = tenant.post("/v1/inbound-email-secret").json()["secret"]
    old = container.keks()
    new_key = base64.b64encode(os.urandom(32)).decode()
    both = KeyEncryptionKeys.parse(f"k-new:{new_key}," + ",".join(
        f"{kek_id}:{base64.b64encode(key).decode()}" for kek_id, key in old._keys.items()))
    tenant_id, user_id = uuid.UUID(tenant.id), uuid.UUID(user["id"])
    report = rotate_data_keys(container.worker_pool(), both, tenant_id=tenant_id)
    assert (report.totp_secrets, report.email_secrets) == (1, 1)
    only_new = KeyEncryptionKeys.parse(f"k-new:{new_key}")
    factor = PostgresFactorStore(container.app_pool(), only_new).factor(tenant_id, user_id)
    assert factor is not None and factor.secret == secret and factor.status == "enabled"
    assert PostgresEmailSecrets(container.app_pool(), only_new).secret_of(tenant_id) == email_secret
    assert rotate_data_keys(container.worker_pool(), both, tenant_id=tenant_id).totp_secrets == 0
