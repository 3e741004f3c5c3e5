"""The web chat widget over HTTP (ADR 0084): widget keys (admins), the chat page framed only by
the key's origins, a visitor's chat without staff credentials, the origin check (403, nothing
stored), a visitor token that reaches one conversation only, CSAT, and the /paid page
(ADR 0085)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from litestar.testing import TestClient

from tests.conftest import ADMIN_TOKEN, NO_RATE_LIMITS, TenantSession

SITE = "https://bright-smile.example"


def key_of(session: TenantSession, origins: list[str] | None = None) -> dict[str, Any]:
    created = session.post("/v1/widget-keys", json={
        "name": "Website", "allowed_origins": origins or [SITE]})
    assert created.status_code == 201, created.text
    return created.json()


def start(session: TenantSession, key: str, *, origin: str = SITE,
          email: str = "visitor@example.com", message: str = "Do you open on Saturdays?"
          ) -> Any:
    return session.client.post(f"/widget/conversations?key={key}", headers={"Origin": origin},
                               data={"name": "Vera", "email": email, "message": message})


def token_in(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def conversations(session: TenantSession) -> list[dict[str, Any]]:
    response = session.get("/v1/conversations", params={"channel": "webchat"})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_an_admin_creates_lists_and_revokes_widget_keys_and_bad_origins_are_422(
        tenant: TenantSession, other_tenant: TenantSession) -> None:
    key = key_of(tenant, [SITE, "HTTP://LOCALHOST:8080/"])
    assert key["key"].startswith("fdw_")
    assert key["allowed_origins"] == [SITE, "http://localhost:8080"]
    listed = tenant.get("/v1/widget-keys").json()["items"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert other_tenant.get("/v1/widget-keys").json()["items"] == []  # RLS
    assert other_tenant.client.delete(f"/v1/widget-keys/{key['id']}",
                                      headers=other_tenant.headers).status_code == 404
    for bad in (["*"], ["https://a.example/path"], ["ftp://a.example"], []):
        refused = tenant.post("/v1/widget-keys", json={"name": "x", "allowed_origins": bad})
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert len(tenant.get("/v1/widget-keys").json()["items"]) == 1

    page = tenant.client.get(f"/widget/chat?key={key['key']}")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert f"frame-ancestors {SITE} http://localhost:8080" in policy
    assert "x-frame-options" not in page.headers
    loader = tenant.client.get(f"/widget/v1.js?key={key['key']}")
    assert loader.status_code == 200 and "/widget/chat?key=" in loader.text
    assert loader.headers["cross-origin-resource-policy"] == "cross-origin"

    assert tenant.client.delete(f"/v1/widget-keys/{key['id']}",
                                headers=tenant.headers).status_code == 204
    assert tenant.get("/v1/widget-keys").json()["items"][0]["revoked_at"] is not None
    gone = tenant.client.get(f"/widget/chat?key={key['key']}")
    assert gone.status_code == 404 and "frame-ancestors 'none'" in \
        gone.headers["content-security-policy"]
    assert start(tenant, key["key"]).status_code == 404


def test_a_visitor_chats_the_assistant_answers_an_agent_replies_and_the_visitor_rates(
        tenant: TenantSession) -> None:
    key = key_of(tenant)["key"]
    started = start(tenant, key, message="<img src=x onerror=alert(1)> Saturdays?")
    assert started.status_code == 200, started.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in started.text
    assert "<img" not in started.text
    token = token_in(started.text)
    [chat] = conversations(tenant)
    assert chat["channel"] == "webchat"

    said = tenant.client.post(f"/widget/messages?key={key}", headers={"Origin": SITE},
                              data={"token": token, "body": "And on Sundays?"})
    assert said.status_code == 200, said.text
    joined = tenant.post(f"/v1/conversations/{chat['id']}/handoff", json={"reason": "test"})
    assert joined.status_code in (200, 409), joined.text
    reply = tenant.post(f"/v1/conversations/{chat['id']}/messages",
                        json={"author": "agent", "body": "Closed on Sundays, Vera."})
    assert reply.status_code == 200, reply.text
    resolved = tenant.post(f"/v1/conversations/{chat['id']}/resolve",
                           json={"disposition": "INFO_PROVIDED"})
    assert resolved.status_code == 200, resolved.text

    rated = tenant.client.post(f"/widget/csat?key={key}", headers={"Origin": SITE},
                               data={"token": token, "score": "5"})
    assert rated.status_code == 200, rated.text
    view = tenant.read(f"/v1/conversations/{chat['id']}",
                       rated.headers.get("x-frontdesk-position", "0")).json()
    bodies = [m["body"] for m in view["messages"]]
    assert "And on Sundays?" in bodies and "Closed on Sundays, Vera." in bodies
    assert view["csat"] == 5


def test_a_message_from_an_origin_the_key_does_not_allow_is_403_and_stores_nothing(
        tenant: TenantSession) -> None:
    key = key_of(tenant)["key"]
    for origin in ("https://evil.example", "null", SITE + ".evil.example"):
        refused = start(tenant, key, origin=origin)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"].endswith("/origin-not-allowed")
    no_origin = tenant.client.post(f"/widget/conversations?key={key}", data={
        "name": "Vera", "email": "v@example.com", "message": "hi"})
    assert no_origin.status_code == 403
    assert conversations(tenant) == []
    assert tenant.get("/v1/contacts").json()["items"] == []

    token = token_in(start(tenant, key).text)
    [chat] = conversations(tenant)
    refused = tenant.client.post(f"/widget/messages?key={key}",
                                 headers={"Origin": "https://evil.example"},
                                 data={"token": token, "body": "spam"})
    assert refused.status_code == 403
    view = tenant.get(f"/v1/conversations/{chat['id']}").json()
    assert "spam" not in [m["body"] for m in view["messages"]]


def test_a_visitor_token_reaches_its_own_conversation_only(
        tenant: TenantSession, other_tenant: TenantSession) -> None:
    key = key_of(tenant)["key"]
    second_key = key_of(tenant)["key"]
    foreign_key = key_of(other_tenant)["key"]
    token = token_in(start(tenant, key).text)

    # the token names its conversation: there is no id to change; under another key (of the
    # same tenant or another), or tampered with, it is refused and nothing is stored
    for other, session in ((second_key, tenant), (foreign_key, other_tenant)):
        refused = session.client.post(f"/widget/messages?key={other}",
                                      headers={"Origin": SITE},
                                      data={"token": token, "body": "hello"})
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"].endswith("/bad-visitor-token")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert tenant.client.post(f"/widget/messages?key={key}", headers={"Origin": SITE},
                              data={"token": tampered, "body": "x"}).status_code == 403
    assert tenant.client.get(f"/widget/live?key={second_key}&token={token}").status_code == 403
    # a staff token is not a visitor's, nor a visitor's a staff token
    assert tenant.client.post(f"/widget/messages?key={key}", headers={"Origin": SITE},
                              data={"token": tenant.token, "body": "x"}).status_code == 403
    assert tenant.client.get("/v1/conversations",
                             headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert conversations(other_tenant) == []
    [chat] = conversations(tenant)
    view = tenant.get(f"/v1/conversations/{chat['id']}").json()
    assert [m["body"] for m in view["messages"] if m["author"] == "customer"] == [
        "Do you open on Saturdays?"]


def test_a_returning_email_goes_to_a_person_not_to_the_assistant(tenant: TenantSession) -> None:
    known = tenant.post("/v1/contacts", json={"name": "Ana", "email": "ana@example.com"})
    assert known.status_code == 201
    key = key_of(tenant)["key"]
    assert start(tenant, key, email="ana@example.com").status_code == 200
    [chat] = conversations(tenant)
    assert chat["contact_id"] == known.json()["id"]
    assert chat["status"] == "waiting_for_agent"
    assert chat["ai_turns"] == 0


def test_oversized_or_invalid_visitor_input_is_refused_and_stores_nothing(
        tenant: TenantSession) -> None:
    key = key_of(tenant)["key"]
    huge = tenant.client.post(f"/widget/conversations?key={key}", headers={"Origin": SITE},
                              data={"name": "V", "email": "v@example.com",
                                    "message": "x" * 20_000})
    assert huge.status_code == 413, huge.text
    blank = start(tenant, key, message="")
    assert blank.status_code == 422, blank.text
    assert conversations(tenant) == []


def test_the_page_stripe_returns_a_customer_to_answers_200_and_tells_nothing(
        tenant: TenantSession) -> None:
    page = tenant.client.get("/paid?session_id=cs_test_<script>")
    assert page.status_code == 200
    assert "Thank you" in page.text and "cs_test" not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def _widget_app(owner_url: str, **limits: int) -> Any:
    """An app of its own with the widget's limits set small, behind a trusted proxy: each test
    sends from an address of its own (X-Forwarded-For), so other tests' widget requests from
    the test client's address do not count against its budget."""
    from dependency_injector import providers

    from entrypoints.container import Container
    from entrypoints.http.app import create_app
    from entrypoints.settings import Settings

    built = Container()
    built.settings.override(providers.Object(Settings(
        DATABASE_URL=owner_url, ADMIN_API_TOKEN=ADMIN_TOKEN, FRONTDESK_LOG_LEVEL="WARNING",
        FRONTDESK_TRUST_FORWARDED_FOR=True,
        **{**NO_RATE_LIMITS, **limits})))  # type: ignore[arg-type]
    built.database()
    return create_app(built)


def _address() -> str:
    """An IPv6 documentation address (2001:db8::/32) of this test run's own."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def _assert_too_many(answer: Any, who: str) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    problem = answer.json()
    assert problem["type"].endswith("/rate-limited") and problem["status"] == 429
    assert f"the {who} rate limit" in problem["detail"]


def test_beyond_the_per_ip_widget_limit_a_visitor_gets_429_and_nothing_is_stored(
        owner_url: str, tenant: TenantSession) -> None:
    key = key_of(tenant)["key"]
    here, elsewhere = ({"X-Forwarded-For": _address()} for _ in range(2))
    with TestClient(_widget_app(owner_url, FRONTDESK_RATE_LIMIT_WIDGET_PER_IP=3,
                                FRONTDESK_RATE_LIMIT_PER_WIDGET_KEY=0)) as web:
        for _ in range(3):
            page = web.get(f"/widget/chat?key={key}", headers=here)
            assert page.status_code == 200, page.text
            assert int(page.headers["ratelimit-limit"]) == 3
        assert page.headers["ratelimit-remaining"] == "0"
        refused = web.post(f"/widget/conversations?key={key}",
                           headers={**here, "Origin": SITE},
                           data={"name": "Vera", "email": "v@example.com", "message": "hi"})
        _assert_too_many(refused, "client")
        # the budget was that address's: another visitor of the same key is served
        assert web.get(f"/widget/chat?key={key}", headers=elsewhere).status_code == 200
        # the API's own routes are not under the widget's limit
        assert web.get("/v1/widget-keys",
                       headers={**here, **tenant.headers}).status_code == 200
    assert conversations(tenant) == []
    assert tenant.get("/v1/contacts").json()["items"] == []


def test_beyond_the_per_widget_key_limit_every_visitor_of_the_key_gets_429(
        owner_url: str, tenant: TenantSession) -> None:
    busy, quiet = key_of(tenant)["key"], key_of(tenant)["key"]
    with TestClient(_widget_app(owner_url, FRONTDESK_RATE_LIMIT_WIDGET_PER_IP=0,
                                FRONTDESK_RATE_LIMIT_PER_WIDGET_KEY=3)) as web:
        for _ in range(3):  # three visitors, one address each
            assert web.get(f"/widget/chat?key={busy}",
                           headers={"X-Forwarded-For": _address()}).status_code == 200
        refused = web.post(f"/widget/conversations?key={busy}",
                           headers={"X-Forwarded-For": _address(), "Origin": SITE},
                           data={"name": "Vera", "email": "v@example.com", "message": "hi"})
        _assert_too_many(refused, "widget key")
        assert web.get(f"/widget/v1.js?key={busy}",
                       headers={"X-Forwarded-For": _address()}).status_code == 429
        # another key of the same tenant has a budget of its own
        started = web.post(f"/widget/conversations?key={quiet}",
                           headers={"X-Forwarded-For": _address(), "Origin": SITE},
                           data={"name": "Vera", "email": "v@example.com", "message": "hi"})
        assert started.status_code == 200, started.text
    assert len(conversations(tenant)) == 1


def test_a_visitor_token_posts_to_its_own_conversation_not_another_visitors_of_the_key(
        tenant: TenantSession) -> None:
    key = key_of(tenant)["key"]
    vera = token_in(start(tenant, key, email="vera@example.com", message="Vera here").text)
    token_in(start(tenant, key, email="otto@example.com", message="Otto here").text)
    by_contact = {c["contact_id"]: c["id"] for c in conversations(tenant)}
    assert len(by_contact) == 2
    said = tenant.client.post(f"/widget/messages?key={key}", headers={"Origin": SITE},
                              data={"token": vera, "body": "Only for Vera's thread"})
    assert said.status_code == 200, said.text

    def threads() -> dict[str, list[str]]:
        found = {}
        for chat_id in by_contact.values():
            view = tenant.get(f"/v1/conversations/{chat_id}").json()
            found[view["messages"][0]["body"]] = [m["body"] for m in view["messages"]
                                                  if m["author"] == "customer"]
        return found

    deadline = time.monotonic() + 30  # the message answer does not wait for the read model
    while len(threads()["Vera here"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert threads() == {"Vera here": ["Vera here", "Only for Vera's thread"],
                         "Otto here": ["Otto here"]}
