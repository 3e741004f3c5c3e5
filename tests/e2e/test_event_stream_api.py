"""``GET /v1/stream`` over HTTP against a real ``frontdesk serve`` (its own process, streaming
incrementally, which the in-process TestClient cannot): events arrive as committed with their
log position as id, a resume misses and repeats nothing, tenants and roles are kept apart,
the bounds hold (ADR 0067).

The writes go through the test session's own app, so the served process hears of them only
by NOTIFY: its hub's listener is what wakes its streams (it runs no projections here).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import PASSWORD, TenantSession, provision
from tests.serving import served
from tests.sse import Stream

TIMEOUT = httpx.Timeout(20.0)  # every read is bounded: a missing event fails, never hangs


@pytest.fixture(scope="module")
def api(owner_url: str, client: Any) -> Iterator[str]:
    with served(owner_url, FRONTDESK_STREAMS_PER_TENANT="2",
                FRONTDESK_STREAMS_HEARTBEAT="0.2",
                FRONTDESK_IN_PROCESS_PROJECTIONS="false") as server:
        yield server.url


@contextmanager
def stream(api: str, token: str, *, last_event_id: str | None = None,
           after: str | None = None) -> Iterator[Stream]:
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    params = {"after": after} if after is not None else {}
    with httpx.Client(base_url=api, timeout=TIMEOUT) as http, \
            http.stream("GET", "/v1/stream", headers=headers, params=params) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Stream(response)


def log_of(owner_url: str, tenant_id: str) -> list[tuple[str, str]]:
    """The tenant's events as the log holds them: (position, type), in log order."""
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "SELECT tx_id::text || ':' || notification_id, topic FROM events "
            "WHERE tenant_id = %s ORDER BY tx_id, notification_id", (tenant_id,)).fetchall()
    return [(position, topic.rpartition(".")[2]) for position, topic in rows]


def capture(tenant: TenantSession, name: str) -> dict[str, Any]:
    created = tenant.post("/v1/leads", json={"name": name, "source": "web_form",
                                             "email": f"{uuid.uuid4().hex[:8]}@example.com"})
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_an_event_committed_after_the_stream_opened_arrives_with_its_position_as_id(
        api: str, owner_url: str, tenant: TenantSession) -> None:
    with stream(api, tenant.token) as live:
        lead = capture(tenant, "Ana Ruiz")
        first, second = live.events(2)  # ContactRegistered, LeadCaptured: one commit
    log = log_of(owner_url, tenant.id)
    assert [(first["position"], first["type"]), (second["position"], second["type"])] == [
        (position, kind) for position, kind in log if _after(position, live.ready.id or "")]
    assert [first["type"], second["type"]] == ["ContactRegistered", "LeadCaptured"]
    assert (second["type"], second["aggregate_kind"], second["aggregate_id"]) == (
        "LeadCaptured", "Lead", lead["id"])
    assert first["data"]["name"] == "Ana Ruiz"  # decrypted, as the history shows it
    for shown, path in ((first, f"/v1/contacts/{lead['contact_id']}/events"),
                        (second, f"/v1/leads/{lead['id']}/events")):
        [history] = tenant.get(path).json()["items"]
        assert {k: shown[k] for k in ("type", "version", "at", "actor", "data")} == {
            k: history[k] for k in ("type", "version", "at", "actor", "data")}


def test_last_event_id_resumes_with_the_next_event_and_repeats_none(
        api: str, owner_url: str, tenant: TenantSession) -> None:
    with stream(api, tenant.token) as live:
        start = live.ready.id
        for n in range(5):
            capture(tenant, f"Person {n}")
        seen = live.events(2)
    # Gone after two events; three more commits while away.
    for n in range(5, 8):
        capture(tenant, f"Person {n}")
    with stream(api, tenant.token, last_event_id=seen[-1]["position"]) as again:
        assert again.ready.id == seen[-1]["position"]
        seen += again.events(14)
    log = [entry for entry in log_of(owner_url, tenant.id)
           if start is not None and _after(entry[0], start)]
    assert [(e["position"], e["type"]) for e in seen] == log  # all 16, in order, once each
    # The same from ?after= (for clients that cannot set headers); the header wins.
    with stream(api, tenant.token, after=seen[9]["position"],
                last_event_id=seen[11]["position"]) as header_wins:
        assert header_wins.next_event()["position"] == seen[12]["position"]
    with stream(api, tenant.token, after=seen[9]["position"]) as by_query:
        assert [e["position"] for e in by_query.events(6)] == [
            e["position"] for e in seen[10:]]


def _after(position: str, start: str) -> bool:
    tx, _, nid = position.partition(":")
    stx, _, snid = start.partition(":")
    return (int(tx), int(nid)) > (int(stx), int(snid))


def test_another_tenants_events_never_appear(api: str, owner_url: str,
                                             tenant: TenantSession,
                                             other_tenant: TenantSession) -> None:
    def write(session: TenantSession, count: int) -> None:
        for n in range(count):
            capture(session, f"{session.slug} {n}")

    with stream(api, tenant.token) as live:
        writers = [threading.Thread(target=write, args=(tenant, 6)),
                   threading.Thread(target=write, args=(other_tenant, 6))]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        seen = live.events(12)
    mine = {position for position, _ in log_of(owner_url, tenant.id)}
    theirs = {position for position, _ in log_of(owner_url, other_tenant.id)}
    assert len(theirs) >= 12 and {e["position"] for e in seen} <= mine
    assert not {e["position"] for e in seen} & theirs
    assert all(other_tenant.slug not in str(e["data"]) for e in seen)


def test_an_agent_sees_conversation_events_but_not_lead_or_case_events(
        api: str, tenant: TenantSession) -> None:
    email = f"agent-{uuid.uuid4().hex[:6]}@{tenant.slug}.example"
    made = tenant.post("/v1/users", json={"email": email, "password": PASSWORD,
                                          "roles": ["agent"], "display_name": "Ana"})
    assert made.status_code == 201, made.text
    login = tenant.client.post("/v1/auth/login", json={"tenant": tenant.slug, "email": email,
                                                      "password": PASSWORD})
    agent_token = login.json()["access_token"]
    with stream(api, agent_token) as agent, stream(api, tenant.token) as admin:
        lead = capture(tenant, "Luis Gil")
        case = tenant.post("/v1/cases", json={"contact_id": lead["contact_id"],
                                              "lead_id": lead["id"], "kind": "trip_quote",
                                              "title": "Lisbon"})
        assert case.status_code == 201, case.text
        talk = tenant.post("/v1/conversations", json={"contact_id": lead["contact_id"],
                                                      "channel": "webchat"})
        assert talk.status_code == 201, talk.text
        everything = admin.events(4)  # contact + lead, case, conversation
        shown = agent.next_event()
    assert [e["aggregate_kind"] for e in everything] == ["Contact", "Lead", "Case",
                                                         "Conversation"]
    assert (shown["type"], shown["aggregate_id"]) == ("ConversationStarted",
                                                      talk.json()["id"])
    assert shown["position"] == everything[-1]["position"]


def test_beyond_the_limit_a_stream_is_429_with_retry_after(api: str,
                                                           tenant: TenantSession) -> None:
    with stream(api, tenant.token) as first, stream(api, tenant.token) as second:
        assert first.ready.id is not None and second.ready.id is not None  # held open
        refused = httpx.get(f"{api}/v1/stream", timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {tenant.token}"})
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert int(refused.headers["retry-after"]) > 0
        assert refused.json()["type"].endswith("/too-many-streams")
        assert refused.json()["limit"] == 2
        other = provision(tenant.client)  # another tenant's slots are its own
        with stream(api, other.token) as theirs:
            assert theirs.ready.id is not None
    # Closed streams give their slots back (the server notices a client leaving).
    statuses = []
    for _ in range(100):
        with httpx.Client(base_url=api, timeout=TIMEOUT) as http, http.stream(
                "GET", "/v1/stream", headers={"Authorization": f"Bearer {tenant.token}"}
                ) as again:
            statuses.append(again.status_code)
        if statuses[-1] == 200:
            break
        time.sleep(0.05)
    assert statuses[-1] == 200, statuses


def _stream_refusal(api: str, headers: dict[str, str], **params: str) -> httpx.Response:
    with httpx.Client(base_url=api, timeout=TIMEOUT) as http, \
            http.stream("GET", "/v1/stream", headers=headers, params=params) as response:
        response.read()  # a refusal has an end: reading it whole returns
        return response


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic dXNlcjpwdw=="])
def test_a_missing_or_bad_token_is_401_before_any_event(api: str, tenant: TenantSession,
                                                       authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    refused = _stream_refusal(api, headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/unauthenticated")
    assert "data:" not in refused.text and "id:" not in refused.text


@pytest.mark.parametrize(("header", "query"), [
    ("not-a-position", None), ("12", None), ("1:2:3", None), ("-1:5", None),
    ("99999999999999999999999:1", None), (None, "abc"), (None, "7:")])
def test_a_malformed_last_event_id_or_after_is_400(api: str, tenant: TenantSession,
                                                  header: str | None,
                                                  query: str | None) -> None:
    headers = {"Authorization": f"Bearer {tenant.token}"}
    if header is not None:
        headers["Last-Event-ID"] = header
    refused = _stream_refusal(api, headers, **({"after": query} if query else {}))
    assert refused.status_code == 400, refused.text
    assert refused.json()["type"].endswith("/malformed-position")


def test_heartbeats_arrive_while_nothing_happens(api: str, tenant: TenantSession) -> None:
    with stream(api, tenant.token) as live:
        beats = [live.next_message() for _ in range(3)]
    assert [b.comment for b in beats] == ["keep-alive"] * 3
    assert all(b.data is None and b.id is None for b in beats)


def test_an_erased_contacts_fields_read_erased_in_the_stream(
        api: str, tenant: TenantSession) -> None:
    with stream(api, tenant.token) as live:
        start = live.ready.id
        lead = capture(tenant, "Marta Vidal")
        live.events(2)
    erased = tenant.client.delete(f"/v1/contacts/{lead['contact_id']}",
                                  headers=tenant.headers)
    assert erased.status_code == 202, erased.text
    assert start is not None
    with stream(api, tenant.token, last_event_id=start) as again:
        registered, captured = again.events(2)
    assert (registered["type"], captured["type"]) == ("ContactRegistered", "LeadCaptured")
    assert registered["data"]["name"] == registered["data"]["email"] == "[erased]"
    assert "Marta" not in str(registered) + str(captured)


def test_a_stream_ends_cleanly_when_the_server_shuts_down(owner_url: str,
                                                         tenant: TenantSession) -> None:
    with served(owner_url, FRONTDESK_IN_PROCESS_PROJECTIONS="false") as server, \
            stream(server.url, tenant.token) as live:
        assert server.process is not None
        server.process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        # The stream ends at once, with its chunked body complete: cancelled at the end of
        # uvicorn's graceful timeout instead, it would break off (httpx: RemoteProtocolError).
        rest = list(live.rest())
        assert server.process.wait(timeout=20) == 0  # a stop asked for (ADR 0071)
    assert all(m.data is None for m in rest)


def test_a_stream_ends_after_its_lifetime_and_resumes_where_it_was(
        owner_url: str, tenant: TenantSession) -> None:
    """So the token is checked again: an expired or revoked one stops at the next resume."""
    with served(owner_url, FRONTDESK_IN_PROCESS_PROJECTIONS="false",
                FRONTDESK_STREAMS_MAX_SECONDS="1") as server:
        with stream(server.url, tenant.token) as live:
            capture(tenant, "Nuria Roca")
            seen = live.events(2)
            list(live.rest())  # ends by itself, its body complete
        capture(tenant, "Oriol Puig")
        with stream(server.url, tenant.token, last_event_id=seen[-1]["position"]) as again:
            resumed = again.events(2)
    assert [e["type"] for e in resumed] == ["ContactRegistered", "LeadCaptured"]
    assert resumed[0]["data"]["name"] == "Oriol Puig"
