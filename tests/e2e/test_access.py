"""Users and roles, API keys, token revocation, login throttling, rate limits and the audit
log, over HTTP against the real database."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import ADMIN_TOKEN, NO_RATE_LIMITS, PASSWORD, TenantSession, provision

ROLE_NAMES = ("admin", "supervisor", "agent", "analyst")
LEAD = {"name": "Ana", "email": "ana@access.example", "source": "web_form"}


def add_user(tenant: TenantSession, roles: list[str], email: str | None = None) -> dict[str, Any]:
    email = email or f"{'-'.join(roles)}-{uuid.uuid4().hex[:6]}@{tenant.slug}.example"
    created = tenant.post("/v1/users", json={"email": email, "password": PASSWORD,
                                             "roles": roles, "display_name": "Someone"})
    assert created.status_code == 201, created.text
    return {**created.json(), "password": PASSWORD}


def login(client: TestClient[Any], slug: str, email: str, password: str = PASSWORD,
          **headers: str) -> Any:
    return client.post("/v1/auth/login", json={"tenant": slug, "email": email,
                                               "password": password}, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_of(tenant: TenantSession, user: dict[str, Any]) -> str:
    answer = login(tenant.client, tenant.slug, user["email"], user["password"])
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


# -- users ------------------------------------------------------------------------------------

def test_admins_manage_users_and_roles_decide_what_each_may_do(tenant: TenantSession) -> None:
    agent = add_user(tenant, ["agent"])
    assert "password" not in tenant.get(f"/v1/users/{agent['id']}").json()
    agent_token = token_of(tenant, agent)
    assert tenant.client.post("/v1/leads", json=LEAD, headers=bearer(agent_token)
                              ).status_code == 201
    denied = tenant.client.post("/v1/users", headers=bearer(agent_token), json={
        "email": "x@y.example", "password": PASSWORD, "roles": ["admin"]})
    assert denied.status_code == 403
    supervisor = add_user(tenant, ["supervisor"])
    listed = tenant.client.get("/v1/users", headers=bearer(token_of(tenant, supervisor)))
    assert {u["email"] for u in listed.json()["items"]} >= {agent["email"], supervisor["email"]}
    again = tenant.post("/v1/users", json={"email": agent["email"].upper(),
                                           "password": PASSWORD, "roles": ["agent"]})
    assert again.status_code == 409 and again.json()["type"].endswith("/email-taken")
    bad = tenant.post("/v1/users", json={"email": "z@z.example", "password": "short",
                                         "roles": ["wizard"]})
    assert bad.status_code == 422


def test_disabling_or_changing_roles_revokes_tokens_at_once(tenant: TenantSession) -> None:
    agent = add_user(tenant, ["agent"])
    token = token_of(tenant, agent)
    assert tenant.client.get("/v1/leads", headers=bearer(token)).status_code == 200
    demoted = tenant.patch(f"/v1/users/{agent['id']}", json={"roles": ["analyst"]})
    assert demoted.status_code == 200 and demoted.json()["roles"] == ["analyst"]
    revoked = tenant.client.get("/v1/leads", headers=bearer(token))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    analyst_token = token_of(tenant, agent)  # logging in again gives the new roles
    assert tenant.client.get("/v1/leads", headers=bearer(analyst_token)).status_code == 200
    assert tenant.client.post("/v1/leads", json=LEAD,
                              headers=bearer(analyst_token)).status_code == 403
    tenant.patch(f"/v1/users/{agent['id']}", json={"disabled": True})
    assert tenant.client.get("/v1/leads", headers=bearer(analyst_token)).status_code == 401
    assert login(tenant.client, tenant.slug, agent["email"]).status_code == 401
    tenant.patch(f"/v1/users/{agent['id']}", json={"disabled": False,
                                                    "password": "a brand new passphrase"})
    assert login(tenant.client, tenant.slug, agent["email"]).status_code == 401
    assert login(tenant.client, tenant.slug, agent["email"],
                 "a brand new passphrase").status_code == 200


def test_the_last_admin_cannot_be_demoted_or_disabled(tenant: TenantSession) -> None:
    me = tenant.get("/v1/users").json()["items"][0]
    assert me["roles"] == ["admin"]
    for change in ({"roles": ["agent"]}, {"disabled": True}):
        refused = tenant.patch(f"/v1/users/{me['id']}", json=change)
        assert refused.status_code == 409 and refused.json()["type"].endswith("/last-admin")
    add_user(tenant, ["admin"])
    assert tenant.patch(f"/v1/users/{me['id']}", json={"roles": ["supervisor", "admin"]}
                        ).status_code == 200


# -- API keys ---------------------------------------------------------------------------------

def test_api_keys_are_shown_once_scoped_to_roles_and_revocable(
        tenant: TenantSession, other_tenant: TenantSession, owner_url: str) -> None:
    import psycopg

    created = tenant.post("/v1/api-keys", json={"name": "web form", "roles": ["agent"]})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert re.fullmatch(r"fdk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key)
    listed = tenant.get("/v1/api-keys").json()["items"]
    assert [k["prefix"] for k in listed] == [created.json()["prefix"]]
    assert key not in str(listed) and "key" not in listed[0]
    with psycopg.connect(owner_url) as conn:  # the owner sees what is stored
        stored = conn.execute("SELECT secret_hash FROM api_keys WHERE prefix = %s",
                              (created.json()["prefix"],)).fetchone()
    assert stored is not None and len(bytes(stored[0])) == 32
    assert key.split("_")[-1].encode() not in bytes(stored[0])

    lead = tenant.client.post("/v1/leads", json=LEAD, headers=bearer(key))
    assert lead.status_code == 201
    history = tenant.get(f"/v1/leads/{lead.json()['id']}/events").json()["items"]
    assert history[0]["actor"] == f"api_key:{created.json()['id']}"
    assert tenant.client.post("/v1/users", headers=bearer(key), json={
        "email": "k@k.example", "password": PASSWORD, "roles": ["admin"]}).status_code == 403
    # the key reads its own tenant only
    theirs = other_tenant.post("/v1/leads", json=LEAD).json()["id"]
    assert tenant.client.get(f"/v1/leads/{theirs}", headers=bearer(key)).status_code == 404
    mangled = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert tenant.client.get("/v1/leads", headers=bearer(mangled)).status_code == 401
    assert tenant.client.delete(f"/v1/api-keys/{created.json()['id']}",
                                headers=tenant.headers).status_code == 204
    assert tenant.client.get("/v1/leads", headers=bearer(key)).status_code == 401
    assert tenant.get("/v1/api-keys").json()["items"][0]["revoked_at"] is not None


def test_a_key_cannot_hold_a_role_its_creator_lacks(tenant: TenantSession) -> None:
    supervisor_key = tenant.post("/v1/api-keys", json={"name": "ops", "roles": ["supervisor"]})
    assert supervisor_key.status_code == 201
    # keys are created by admins; a supervisor cannot mint one at all
    supervisor = add_user(tenant, ["supervisor"])
    refused = tenant.client.post("/v1/api-keys", headers=bearer(token_of(tenant, supervisor)),
                                 json={"name": "x", "roles": ["agent"]})
    assert refused.status_code == 403


# -- the route table --------------------------------------------------------------------------

def _route_table(app: Any) -> Iterator[tuple[str, str, frozenset[str] | None, bool]]:
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method in ("HEAD", "OPTIONS"):
                    continue
                allowed = handler.opt.get("roles")
                public = bool(handler.opt.get("public"))  # controller opts merged in by now
                yield method, route.path, frozenset(allowed) if allowed else None, public


def _concrete(path: str, slug: str) -> str:
    path = re.sub(r"\{[^}:]+:uuid\}", str(uuid.uuid4()), path)
    path = re.sub(r"\{tenant_slug(:str)?\}", slug, path)
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_declares_its_roles_and_each_role_gets_its_answer(
        client: Any, tenant: TenantSession) -> None:
    users = {role: add_user(tenant, [role]) for role in ROLE_NAMES}
    tokens = {role: token_of(tenant, user) for role, user in users.items()}
    checked = 0
    for method, path, allowed, public in _route_table(client.app):
        if path.startswith(("/schema", "/console")) or public:
            continue  # the console's pages have their own tests (test_console_browser.py)
        assert allowed, f"{method} {path} declares no roles"
        url = _concrete(path, tenant.slug)
        for role, token in tokens.items():
            if path == "/v1/auth/logout":  # revokes the token it is called with
                token = token_of(tenant, users[role])
            answer = client.request(method, url, headers=bearer(token), json={})
            if role in allowed:
                assert answer.status_code != 403, (method, path, role, answer.text)
                assert answer.status_code < 500, (method, path, role, answer.text)
            else:
                assert answer.status_code == 403, (method, path, role, answer.status_code)
            checked += 1
    assert checked >= 4 * 25


# -- login throttling and rate limits ---------------------------------------------------------

def _app_with(owner_url: str, **settings: Any) -> Any:
    from dependency_injector import providers

    from entrypoints.container import Container
    from entrypoints.http.app import create_app
    from entrypoints.settings import Settings

    built = Container()
    built.settings.override(providers.Object(Settings(
        DATABASE_URL=owner_url, ADMIN_API_TOKEN=ADMIN_TOKEN, FRONTDESK_LOG_LEVEL="WARNING",
        **{**NO_RATE_LIMITS, **settings})))
    built.database()
    return create_app(built)


def _documentation_address() -> str:
    """An IPv6 documentation address (2001:db8::/32) of its own for one test run."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def test_failed_logins_are_throttled_per_account_and_per_ip(owner_url: str,
                                                            tenant: TenantSession) -> None:
    # Behind a trusted proxy the client is the X-Forwarded-For address: this test's own
    # (a documentation address, unique per run), so failed logins of other tests from the
    # test client's address do not count against its budget, whatever order they run in.
    app = _app_with(owner_url, FRONTDESK_LOGIN_THROTTLE_PER_ACCOUNT=3,
                    FRONTDESK_LOGIN_THROTTLE_PER_IP=6, FRONTDESK_RATE_LIMIT_PER_IP=0,
                    FRONTDESK_RATE_LIMIT_PER_TENANT=0, FRONTDESK_TRUST_FORWARDED_FOR=True)
    address = _documentation_address()
    proxied = {"X-Forwarded-For": f"{address}, 10.0.0.1"}
    victim, bystander, third = (add_user(tenant, ["agent"]) for _ in range(3))
    with TestClient(app) as client:
        for _ in range(3):
            assert login(client, tenant.slug, victim["email"], "wrong password!",
                         **proxied).status_code == 401
        throttled = login(client, tenant.slug, victim["email"], **proxied)  # even the right one
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 900
        assert throttled.json()["type"].endswith("/too-many-attempts")
        assert login(client, tenant.slug, bystander["email"], **proxied).status_code == 200
        for _ in range(3):  # the address's budget (6 failures) runs out across accounts
            login(client, tenant.slug, bystander["email"], "wrong password!", **proxied)
        assert login(client, tenant.slug, third["email"], **proxied).status_code == 429
        # From another address that account logs in: the budget was this address's.
        other = {"X-Forwarded-For": _documentation_address()}
        assert login(client, tenant.slug, third["email"], **other).status_code == 200
    audit = tenant.get("/v1/audit", params={"resource_id": victim["id"],
                                            "action": "login.failed"}).json()["items"]
    assert len(audit) == 3 and all(e["ip"] == address for e in audit)


def test_a_forwarded_address_is_not_believed_unless_the_proxy_is_trusted(
        owner_url: str, tenant: TenantSession) -> None:
    app = _app_with(owner_url, FRONTDESK_RATE_LIMIT_PER_IP=0, FRONTDESK_RATE_LIMIT_PER_TENANT=0)
    user = add_user(tenant, ["agent"])
    with TestClient(app) as client:
        forged = {"X-Forwarded-For": "2001:db8::1"}
        assert login(client, tenant.slug, user["email"], "wrong password!",
                     **forged).status_code == 401
    audit = tenant.get("/v1/audit", params={"resource_id": user["id"],
                                            "action": "login.failed"}).json()["items"]
    assert [e["ip"] for e in audit] == ["testclient"]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A Redis server of this test module on a free loopback port (Debian's redis-server,
    installed with apt-get when missing and allowed, as the wrk benchmark does)."""
    binary = shutil.which("redis-server")
    if binary is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "redis-server"],
                       capture_output=True, check=False, timeout=600)
        binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed and cannot be installed here (apt-get as "
                    "root); the PostgreSQL store is tested above")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.1)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("store", ["postgres", "redis"])
def test_rate_limits_are_shared_by_processes_and_answer_429(
        owner_url: str, client: Any, store: str, request: pytest.FixtureRequest) -> None:
    settings: dict[str, Any] = {"FRONTDESK_RATE_LIMIT_PER_TENANT": 5,
                                "FRONTDESK_RATE_LIMIT_PER_IP": 0}
    if store == "redis":
        settings["FRONTDESK_REDIS_URL"] = request.getfixturevalue("redis_url")
    first, second = _app_with(owner_url, **settings), _app_with(owner_url, **settings)
    busy, quiet = provision(client), provision(client)
    with TestClient(first) as one, TestClient(second) as two:
        answers = [c.get("/v1/leads", headers=busy.headers) for c in (one, two, one, two, one)]
        assert [a.status_code for a in answers] == [200] * 5
        assert answers[-1].headers["ratelimit-remaining"] == "0"
        limited = two.get("/v1/leads", headers=busy.headers)
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert one.get("/v1/leads", headers=quiet.headers).status_code == 200  # per tenant
        assert one.get("/health").status_code == 200  # never limited


def test_rate_limit_per_ip(owner_url: str, client: Any) -> None:
    app = _app_with(owner_url, FRONTDESK_RATE_LIMIT_PER_IP=3, FRONTDESK_RATE_LIMIT_PER_TENANT=0)
    a, b = provision(client), provision(client)
    with TestClient(app) as limited:
        codes = [limited.get("/v1/leads", headers=t.headers).status_code for t in (a, b, a, b)]
    # the address may already have spent part of this minute's budget on other tests' apps
    assert 429 in codes and codes[-1] == 429


# -- JWT secret rotation ----------------------------------------------------------------------

def test_tokens_of_a_retired_secret_verify_until_it_leaves_the_list() -> None:
    from adapters.identity.tokens import InvalidToken, JwtTokens

    old, new = "o" * 40, "n" * 40
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    issued, _ = JwtTokens(old).issue(tenant_id, user_id, ("agent",))
    rotated = JwtTokens(new, previous=[old])
    assert rotated.verify(issued).user_id == user_id
    fresh, _ = rotated.issue(tenant_id, user_id, ("agent",))
    assert JwtTokens(new).verify(fresh).roles == frozenset({"agent"})
    with pytest.raises(InvalidToken):
        JwtTokens(new).verify(issued)


# -- audit log --------------------------------------------------------------------------------

def test_the_audit_log_records_events_and_logins_filtered_and_as_csv(
        tenant: TenantSession, other_tenant: TenantSession) -> None:
    agent = add_user(tenant, ["agent"])
    answer = login(tenant.client, tenant.slug, agent["email"], **{"User-Agent": "=HYPERLINK()"})
    token = answer.json()["access_token"]
    lead = tenant.client.post("/v1/leads", json=LEAD, headers=bearer(token))
    login(tenant.client, tenant.slug, agent["email"], "not the password")
    key = tenant.post("/v1/api-keys", json={"name": "crm sync", "roles": ["analyst"]}).json()
    tenant.client.delete(f"/v1/api-keys/{key['id']}", headers=tenant.headers)

    page = tenant.read("/v1/audit", lead.headers["x-frontdesk-position"],
                       params={"limit": 200}).json()
    actions = [e["action"] for e in page["items"]]
    for expected in ("LeadCaptured", "ContactRegistered", "login.succeeded", "login.failed",
                     "user.created", "api_key.created", "api_key.revoked"):
        assert expected in actions, expected
    times = [e["occurred_at"] for e in page["items"]]
    assert times == sorted(times, reverse=True)
    captured = next(e for e in page["items"] if e["action"] == "LeadCaptured")
    assert captured["actor"] == f"user:{agent['id']}" and captured["resource_type"] == "Lead"
    assert captured["resource_id"] == lead.json()["id"] and captured["version"] == 1
    mine = tenant.get("/v1/audit", params={"actor": f"user:{agent['id']}"}).json()["items"]
    assert {e["actor"] for e in mine} == {f"user:{agent['id']}"}
    assert {"LeadCaptured", "login.succeeded"} <= {e["action"] for e in mine}
    one_page = tenant.get("/v1/audit", params={"limit": 2}).json()
    rest = tenant.get("/v1/audit", params={"limit": 2, "cursor": one_page["next_cursor"]})
    assert {e["id"] for e in one_page["items"]}.isdisjoint(e["id"] for e in rest.json()["items"])
    assert all(e["resource_id"] != lead.json()["id"]
               for e in other_tenant.get("/v1/audit", params={"limit": 200}).json()["items"])

    exported = tenant.get("/v1/audit.csv", params={"action": "login.succeeded"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and all(r["action"] == "login.succeeded" for r in rows)
    assert "'=HYPERLINK()" in {r["user_agent"] for r in rows}  # not a formula in a spreadsheet
    for path in ("/v1/audit.csv", "/v1/audit"):  # refused before the stream starts
        bad = tenant.get(path, params={"action": "\x00"})
        assert bad.status_code == 400 and bad.json()["status"] == 400, bad.text
    assert tenant.client.get("/v1/audit", headers=bearer(token)).status_code == 403


def test_refused_requests_are_4xx_with_headers_and_count_against_the_address(
        owner_url: str, client: Any) -> None:
    from tests.e2e.test_observability import sample

    before = client.get("/metrics").text
    refused = client.get("/v1/leads", headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["status"] == 401
    assert refused.headers["x-request-id"] and refused.headers["x-content-type-options"]
    after = client.get("/metrics").text
    labels = {"method": "GET", "route": "/v1/leads"}
    assert sample(after, "frontdesk_http_request_seconds_count", status="4xx", **labels) \
        == sample(before, "frontdesk_http_request_seconds_count", status="4xx", **labels) + 1
    assert sample(after, "frontdesk_http_request_seconds_count", status="5xx", **labels) \
        == sample(before, "frontdesk_http_request_seconds_count", status="5xx", **labels)

    # A flood of bad tokens and keys is throttled by address like any other traffic.
    app = _app_with(owner_url, FRONTDESK_RATE_LIMIT_PER_IP=3, FRONTDESK_RATE_LIMIT_PER_TENANT=0)
    with TestClient(app) as limited:
        codes = [limited.get("/v1/leads", headers={"Authorization": f"Bearer {bad}"}).status_code
                 for bad in ("x", "fdk_000000000000_nope", "y", "z", "w")]
    assert set(codes) <= {401, 429} and codes[-1] == 429, codes


def test_cross_origin_requests_are_allowed_only_from_the_configured_origins(
        owner_url: str, tenant: TenantSession) -> None:
    app = _app_with(owner_url, FRONTDESK_CORS_ORIGINS="https://app.example, https://ops.example")
    with TestClient(app) as client:
        preflight = client.options("/v1/leads", headers={
            "Origin": "https://ops.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Idempotency-Key"})
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == "https://ops.example"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()

        refused = client.options("/v1/leads", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in refused.headers

        read = client.get("/v1/leads", headers={**tenant.headers,
                                                "Origin": "https://app.example"})
        assert read.status_code == 200
        assert read.headers["access-control-allow-origin"] == "https://app.example"
        assert "x-frontdesk-position" in read.headers["access-control-expose-headers"].lower()
        foreign = client.get("/v1/leads", headers={**tenant.headers,
                                                   "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in foreign.headers

    # Without the setting no origin is allowed at all.
    with TestClient(_app_with(owner_url)) as client:
        plain = client.get("/v1/leads", headers={**tenant.headers,
                                                 "Origin": "https://app.example"})
        assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers
