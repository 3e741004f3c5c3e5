"""Authentication, roles, tenant isolation over HTTP, and hostile input: every bad request is a
4xx problem+json and changes nothing."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest

from tests.conftest import ADMIN_TOKEN, TenantSession

LEAD = {"name": "Ana", "email": "ana@example.com", "source": "web_form"}


def event_count(container: Any, tenant: TenantSession) -> int:
    """Events of a tenant, counted through the event store (not the API under test)."""
    with container.worker_pool().connection() as conn:
        row = conn.execute("SELECT count(*) AS n FROM events WHERE tenant_id = %s",
                           (tenant.id,)).fetchone()
    return int(row["n"])


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["type"].startswith("https://frontdesk.dev/problems/")
    text = response.text.lower()
    for leak in ("traceback", "psycopg", "select ", "insert ", 'file "'):
        assert leak not in text
    return body  # type: ignore[no-any-return]


# -- authentication -------------------------------------------------------------------------

def test_no_token_is_401(client: Any) -> None:
    assert_problem(client.get("/v1/leads"), 401)


@pytest.mark.parametrize("header", ["Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz",
                                    "Bearer " + "a" * 2000])
def test_malformed_tokens_are_401(client: Any, header: str) -> None:
    assert_problem(client.get("/v1/leads", headers={"Authorization": header}), 401)


def _forge(tenant: TenantSession, **changes: Any) -> str:
    claims = jwt.decode(tenant.token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, "dev-only-jwt-secret-change-me-in-production-0123456789",
                      algorithm="HS256")


def test_expired_token_is_401(tenant: TenantSession) -> None:
    expired = _forge(tenant, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
    assert_problem(tenant.client.get("/v1/leads", headers={"Authorization": f"Bearer {expired}"}),
                   401)


def test_alg_none_token_is_401(tenant: TenantSession) -> None:
    claims = jwt.decode(tenant.token, options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    assert_problem(tenant.client.get("/v1/leads",
                                     headers={"Authorization": f"Bearer {unsigned}"}), 401)


def test_token_signed_with_another_key_is_401(tenant: TenantSession) -> None:
    claims = jwt.decode(tenant.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-another-secret-another!!", algorithm="HS256")
    assert_problem(tenant.client.get("/v1/leads", headers={"Authorization": f"Bearer {forged}"}),
                   401)


def test_login_gives_the_same_answer_for_every_mismatch(tenant: TenantSession) -> None:
    email = f"owner@{tenant.slug}.example"
    answers = [tenant.client.post("/v1/auth/login", json=body) for body in (
        {"tenant": tenant.slug, "email": email, "password": "wrong password"},
        {"tenant": tenant.slug, "email": "nobody@example.com", "password": "x"},
        {"tenant": "no-such-tenant", "email": email, "password": "x"})]
    bodies = [assert_problem(a, 401) for a in answers]
    assert len({(b["type"], b["detail"]) for b in bodies}) == 1


def test_admin_api_checks_its_token(client: Any) -> None:
    body = {"name": "X", "slug": f"x-{uuid.uuid4().hex[:8]}", "admin_email": "a@x.example",
            "admin_password": "long enough password"}
    assert_problem(client.post("/v1/admin/tenants", json=body), 401)
    assert_problem(client.post("/v1/admin/tenants", json=body,
                               headers={"Authorization": "Bearer wrong"}), 401)
    created = client.post("/v1/admin/tenants", json=body,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert created.status_code == 201
    again = client.post("/v1/admin/tenants", json=body,
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert assert_problem(again, 409)["type"].endswith("/slug-taken")


def test_admin_api_is_503_when_no_token_is_configured(container: Any) -> None:
    from dependency_injector import providers
    from litestar.testing import TestClient

    from entrypoints.http.app import create_app

    unset = container.settings().model_copy(update={"admin_api_token": None})
    with container.settings.override(providers.Object(unset)):
        app = create_app(container)
    with TestClient(app) as client:
        response = client.post("/v1/admin/tenants",
                               headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                               json={"name": "X", "slug": "disabled", "admin_email": "a@x.example",
                                     "admin_password": "long enough password"})
    assert_problem(response, 503)


def test_a_role_without_the_right_gets_403(tenant: TenantSession) -> None:
    analyst = _forge(tenant, roles=["analyst"])
    headers = {"Authorization": f"Bearer {analyst}"}
    assert tenant.client.get("/v1/leads", headers=headers).status_code == 200
    assert_problem(tenant.client.post("/v1/leads", json=LEAD, headers=headers), 403)
    agent = _forge(tenant, roles=["agent"])
    lead = tenant.post("/v1/leads", json=LEAD).json()
    tenant.post(f"/v1/leads/{lead['id']}/lose", json={"reason": "x"})
    assert_problem(tenant.client.post(f"/v1/leads/{lead['id']}/reopen", json={},
                                      headers={"Authorization": f"Bearer {agent}"}), 403)


# -- tenant isolation -----------------------------------------------------------------------

def test_another_tenants_resources_are_404_like_missing_ones(
        tenant: TenantSession, other_tenant: TenantSession, container: Any) -> None:
    created = tenant.post("/v1/leads", json=LEAD)
    lead = created.json()
    position = created.headers["x-frontdesk-position"]
    tenant.read(f"/v1/leads/{lead['id']}", position)
    before = event_count(container, tenant)
    for path in (f"/v1/leads/{lead['id']}", f"/v1/leads/{lead['id']}/events",
                 f"/v1/contacts/{lead['contact_id']}",
                 f"/v1/contacts/{lead['contact_id']}/events"):
        assert_problem(other_tenant.get(path, headers={"X-Frontdesk-Min-Position": position}),
                       404)
    assert_problem(other_tenant.post(f"/v1/leads/{lead['id']}/qualify", json={}), 404)
    assert_problem(other_tenant.patch(f"/v1/contacts/{lead['contact_id']}",
                                      json={"name": "Mallory"}), 404)
    assert other_tenant.read("/v1/leads", position).json()["items"] == []
    # The same email is a new contact in the other tenant: no cross-tenant dedupe either.
    theirs = other_tenant.post("/v1/leads", json=LEAD)
    assert theirs.status_code == 201 and theirs.json()["contact_created"] is True
    assert event_count(container, tenant) == before


def test_missing_resources_are_404(tenant: TenantSession) -> None:
    assert_problem(tenant.get(f"/v1/leads/{uuid.uuid4()}"), 404)
    assert_problem(tenant.post(f"/v1/leads/{uuid.uuid4()}/qualify", json={}), 404)
    assert_problem(tenant.get("/v1/nowhere"), 404)


# -- hostile input --------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "status"), [
    (b'{"name": "Ana", "email": ', 400),
    (b"\xff\xfe not json", 400),
    (b'["a", "list"]', 422),
    (b'{"email": 42, "source": "web"}', 422),
    (b'{"email": "ana@example.com"}', 422),
    (b'{"email": "ana@example.com", "source": "web", "unexpected": true}', 422),
    (b'{"email": "not-an-email", "source": "web"}', 422),
    (b'{"phone": "12", "source": "web"}', 422),
    (b'{"email": "a@example.com", "source": "has spaces"}', 422),
    (b'{"email": "a@example.com", "source": "web", "notes": "' + b"x" * 5000 + b'"}', 422),
])
def test_bad_bodies_are_4xx_and_change_nothing(tenant: TenantSession, container: Any,
                                               body: bytes, status: int) -> None:
    before = event_count(container, tenant)
    response = tenant.post("/v1/leads", content=body,
                           headers={"Content-Type": "application/json"})
    problem = assert_problem(response, status)
    if status == 422:
        assert problem["errors"] and all("field" in e for e in problem["errors"])
    assert event_count(container, tenant) == before


def test_oversized_body_is_413(tenant: TenantSession, container: Any) -> None:
    before = event_count(container, tenant)
    huge = b'{"email": "a@example.com", "source": "web", "notes": "' + b"x" * 6_000_000 + b'"}'
    assert_problem(tenant.post("/v1/leads", content=huge,
                               headers={"Content-Type": "application/json"}), 413)
    assert event_count(container, tenant) == before


@pytest.mark.parametrize("payload", ["'; DROP TABLE events; --", "1' OR '1'='1",
                                     "\" OR tenant_id IS NOT NULL --", "$$; SELECT pg_sleep(5)"])
def test_sql_injection_strings_are_data(tenant: TenantSession, payload: str) -> None:
    created = tenant.post("/v1/leads", json={"name": payload, "email": "inj@example.com",
                                             "source": "web", "notes": payload})
    assert created.status_code == 201
    position = created.headers["x-frontdesk-position"]
    listed = tenant.read("/v1/leads", position, params={"campaign": payload, "source": payload})
    assert listed.json()["items"] == []
    view = tenant.read(f"/v1/leads/{created.json()['id']}", position).json()
    assert view["name"] == payload
    history = tenant.get(f"/v1/leads/{created.json()['id']}/events").json()["items"]
    assert history[0]["data"]["notes"] == payload


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/v1/leads", {"limit": "0"}, 422), ("/v1/leads", {"limit": "abc"}, 422),
    ("/v1/leads", {"limit": "100000"}, 422), ("/v1/leads", {"status": "deleted"}, 422),
    ("/v1/leads", {"cursor": "not-a-cursor"}, 400), ("/v1/leads", {"assigned_to": "x"}, 422),
    # found by the fuzzer: a day PostgreSQL cannot hold was a 500
    ("/v1/analytics/ai-usage", {"to": "0000-00-00"}, 422),
    ("/v1/audit", {"since": "2026-01-01T00:00:00"}, 422),  # no offset: not RFC 3339
])
def test_bad_query_parameters(tenant: TenantSession, path: str, params: dict[str, str],
                              status: int) -> None:
    assert_problem(tenant.get(path, params=params), status)


def test_bad_if_match_and_idempotency_key_are_400(tenant: TenantSession) -> None:
    lead = tenant.post("/v1/leads", json=LEAD).json()
    assert_problem(tenant.post(f"/v1/leads/{lead['id']}/qualify", json={},
                               headers={"If-Match": "yesterday"}), 400)
    assert_problem(tenant.post("/v1/leads", json={**LEAD, "source": "other"},
                               headers={"Idempotency-Key": "x" * 300}), 400)


def test_responses_carry_request_id_and_security_headers(tenant: TenantSession) -> None:
    response = tenant.get("/v1/leads", headers={"X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    generated = tenant.get("/v1/leads", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"


def test_hsts_is_sent_on_every_answer_only_when_the_setting_says_tls_is_in_front(
        owner_url: str, client: Any) -> None:
    """Security gap 3: FRONTDESK_HSTS_SECONDS (default 0, off) adds Strict-Transport-Security
    to every answer: the API's, its errors, the console's and the router's 404."""
    from litestar.testing import TestClient

    from tests.e2e.test_access import _app_with

    for path in ("/health", "/v1/leads", "/console/login", "/no-such-thing"):
        assert "strict-transport-security" not in client.get(path).headers, path
    with TestClient(app=_app_with(owner_url, FRONTDESK_HSTS_SECONDS=31536000)) as hsts:
        for path in ("/health", "/v1/leads", "/console/login", "/no-such-thing"):
            assert hsts.get(path).headers["strict-transport-security"] == \
                "max-age=31536000; includeSubDomains", path


def test_unknown_routes_and_methods_carry_request_id_and_security_headers(
        tenant: TenantSession) -> None:
    """The router answers these before any route exists to run middleware (security gap 1,
    now closed): they too get the request id, the headers and a problem+json body."""
    unknown_route = tenant.get("/v1/no-such-thing", headers={"X-Request-ID": "trace-404"})
    unknown_method = tenant.client.patch("/v1/leads", headers={**tenant.headers,
                                                               "X-Request-ID": "trace-405"})
    for response, status, request_id in ((unknown_route, 404, "trace-404"),
                                         (unknown_method, 405, "trace-405")):
        assert response.status_code == status
        assert response.headers["x-request-id"] == request_id
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["cache-control"] == "no-store"
        assert_problem(response, status)


def test_a_nul_character_is_a_422_and_stores_nothing(client: Any, tenant: TenantSession) -> None:
    """PostgreSQL cannot store NUL in text: found by schemathesis as a 500 at login."""
    login = client.post("/v1/auth/login", json={"tenant": "bright\x00smile",
                                                "email": "a@b.example", "password": "x" * 12})
    assert login.status_code == 422, login.text
    assert login.headers["content-type"].startswith("application/problem+json")
    before = tenant.get("/v1/leads").json()["items"]
    refused = tenant.post("/v1/leads", json={"name": "Nul\x00Name", "email": "nul@example.com",
                                             "source": "web"})
    assert refused.status_code == 422, refused.text
    assert tenant.get("/v1/leads").json()["items"] == before
