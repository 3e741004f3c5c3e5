"""Credentials (issue 19 item 6): API keys that expire, record their last use and die with their
creator's admin role (ADR 0080); a TOTP second factor at login (ADR 0081). Over HTTP against
the real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from tests.conftest import PASSWORD, TenantSession

LEAD = {"name": "Ana", "email": "ana@keys.example", "source": "web_form"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_user(tenant: TenantSession, roles: list[str]) -> dict[str, Any]:
    email = f"{'-'.join(roles)}-{uuid.uuid4().hex[:6]}@{tenant.slug}.example"
    created = tenant.post("/v1/users", json={"email": email, "password": PASSWORD,
                                             "roles": roles})
    assert created.status_code == 201, created.text
    return dict(created.json())


def login(tenant: TenantSession, email: str, password: str = PASSWORD,
          **extra: Any) -> Any:
    return tenant.client.post("/v1/auth/login", json={"tenant": tenant.slug, "email": email,
                                                      "password": password, **extra})


def token_of(tenant: TenantSession, email: str) -> str:
    answer = login(tenant, email)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def new_key(tenant: TenantSession, token: str | None = None, **body: Any) -> dict[str, Any]:
    headers = bearer(token) if token else tenant.headers
    created = tenant.client.post("/v1/api-keys", headers=headers,
                                 json={"name": "integration", "roles": ["agent"], **body})
    assert created.status_code == 201, created.text
    return dict(created.json())


def listed(tenant: TenantSession) -> dict[str, dict[str, Any]]:
    return {k["id"]: k for k in tenant.get("/v1/api-keys").json()["items"]}


# -- API keys ---------------------------------------------------------------------------------

def test_a_key_past_its_expiry_is_401_and_bad_expiries_are_422(
        tenant: TenantSession, owner_url: str) -> None:
    soon = new_key(tenant, expires_in_days=1)
    later = datetime.now(UTC) + timedelta(days=30)
    dated = new_key(tenant, expires_at=later.isoformat())
    forever = new_key(tenant)
    stored = listed(tenant)
    assert stored[forever["id"]]["expires_at"] is None
    assert abs(datetime.fromisoformat(stored[dated["id"]]["expires_at"]) - later
               ) < timedelta(seconds=1)
    expiry = datetime.fromisoformat(stored[soon["id"]]["expires_at"])
    assert timedelta(hours=23) < expiry - datetime.now(UTC) <= timedelta(days=1)
    # A day passes for this key (never used, so no process has it cached).
    with psycopg.connect(owner_url) as conn:
        conn.execute("UPDATE api_keys SET expires_at = now() - interval '1 second' "
                     "WHERE id = %s", (soon["id"],))
    refused = tenant.client.get("/v1/leads", headers=bearer(soon["key"]))
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    assert tenant.client.get("/v1/leads", headers=bearer(dated["key"])).status_code == 200
    assert tenant.client.get("/v1/leads", headers=bearer(forever["key"])).status_code == 200

    before = len(listed(tenant))
    for body in ({"expires_in_days": 0}, {"expires_in_days": 3651},
                 {"expires_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()},
                 {"expires_at": "2030-01-01T00:00:00"},  # no time zone
                 {"expires_in_days": 5, "expires_at": later.isoformat()}):
        bad = tenant.post("/v1/api-keys", json={"name": "x", "roles": ["agent"], **body})
        assert bad.status_code in (400, 422), (body, bad.text)
        assert bad.headers["content-type"].startswith("application/problem+json")
    assert len(listed(tenant)) == before


def test_last_use_of_a_key_is_recorded_and_listed(tenant: TenantSession,
                                                  other_tenant: TenantSession) -> None:
    used, unused = new_key(tenant), new_key(tenant)
    assert listed(tenant)[used["id"]]["last_used_at"] is None
    start = datetime.now(UTC) - timedelta(seconds=5)
    assert tenant.client.post("/v1/leads", json=LEAD, headers=bearer(used["key"])
                              ).status_code == 201
    keys = listed(tenant)
    assert keys[unused["id"]]["last_used_at"] is None
    last = datetime.fromisoformat(keys[used["id"]]["last_used_at"])
    assert last >= start
    # another tenant sees none of these keys
    assert not {used["id"], unused["id"]} & set(listed(other_tenant))


def test_disabling_or_demoting_the_admin_who_made_a_key_revokes_it(
        tenant: TenantSession) -> None:
    def works(key: dict[str, Any]) -> bool:
        status = tenant.client.get("/v1/leads", headers=bearer(key["key"])).status_code
        assert status in (200, 401)
        return status == 200

    first, second = add_user(tenant, ["admin"]), add_user(tenant, ["admin"])
    first_key = new_key(tenant, token_of(tenant, first["email"]))
    admin_key = new_key(tenant, token_of(tenant, first["email"]), roles=["admin"])
    # a key that first's admin key made goes with it
    grandchild = new_key(tenant, admin_key["key"])
    second_key = new_key(tenant, token_of(tenant, second["email"]))
    owners_key = new_key(tenant)  # the tenant's first admin
    assert all(map(works, (first_key, admin_key, grandchild, second_key, owners_key)))

    # demoted: still a user, no longer an admin
    assert tenant.patch(f"/v1/users/{first['id']}", json={"roles": ["supervisor"]}
                        ).status_code == 200
    assert not works(first_key) and not works(admin_key) and not works(grandchild)
    assert works(second_key) and works(owners_key)
    revoked = listed(tenant)
    assert all(revoked[k["id"]]["revoked_at"] for k in (first_key, admin_key, grandchild))
    audit = tenant.get("/v1/audit", params={"action": "api_key.revoked"}).json()["items"]
    assert {e["resource_id"] for e in audit} == {first_key["id"], admin_key["id"],
                                                 grandchild["id"]}
    # promoted again, their old keys stay revoked
    tenant.patch(f"/v1/users/{first['id']}", json={"roles": ["admin"]})
    assert not works(first_key)

    # disabled
    assert tenant.patch(f"/v1/users/{second['id']}", json={"disabled": True}
                        ).status_code == 200
    assert not works(second_key) and works(owners_key)
    # a change that keeps the admin role revokes nothing
    third = add_user(tenant, ["admin"])
    third_key = new_key(tenant, token_of(tenant, third["email"]))
    tenant.patch(f"/v1/users/{third['id']}", json={"roles": ["admin", "supervisor"]})
    assert works(third_key)
