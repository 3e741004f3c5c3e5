"""Conversations over HTTP: the offline assistant (the default chain), the OpenAI SDK against a
local fake server, Server-Sent Events, a client leaving mid-stream, hand-off, resolution,
surveys, drafts for agents, isolation and bad input."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.conftest import TenantSession
from tests.vendors import FakeOpenAI

KNOWLEDGE = {"title": "Prices", "source": "price-list.pdf",
             "text": "Teeth whitening costs 300 EUR and takes one hour.\n\n"
                     "We are open Monday to Friday, 9:00 to 18:00."}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response


def webchat(session: TenantSession, *, knowledge: bool = True) -> tuple[str, str]:
    """A contact and a web-chat conversation; returns (conversation id, last position)."""
    position = "0"
    if knowledge:
        added = ok(session.post("/v1/knowledge", json=KNOWLEDGE), 201)
        assert added.json()["passages"] == 2
        position = added.headers["x-frontdesk-position"]
        found = session.read("/v1/knowledge/search", position, params={"q": "whitening"}).json()
        assert found[0]["text"].startswith("Teeth whitening")
    contact = ok(session.post("/v1/contacts", json={"name": "Ana", "email": "ana@example.com"}),
                 201).json()
    started = ok(session.post("/v1/conversations", json={
        "contact_id": contact["id"], "channel": "webchat", "subject": "Whitening"}), 201)
    assert started.json()["status"] == "open" and started.headers["etag"] == '"1"'
    return started.json()["id"], started.headers["x-frontdesk-position"]


def say(session: TenantSession, conversation: str, body: str) -> Any:
    return ok(session.post(f"/v1/conversations/{conversation}/messages",
                           json={"author": "customer", "body": body}))


def history(session: TenantSession, conversation: str) -> list[dict[str, Any]]:
    return ok(session.get(f"/v1/conversations/{conversation}/events")).json()["items"]


def sse_events(lines: list[str]) -> list[tuple[str, dict[str, Any]]]:
    events, name = [], None
    for line in lines:
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and name:
            events.append((name, json.loads(line.split(":", 1)[1])))
    return events


def test_the_offline_assistant_answers_from_knowledge_and_hands_off_when_it_cannot(
        tenant: TenantSession) -> None:
    conversation, _ = webchat(tenant)
    say(tenant, conversation, "How much does teeth whitening cost?")
    reply = ok(tenant.post(f"/v1/conversations/{conversation}/ai-reply")).json()
    assert reply["provider"] == "local" and reply["delivered"] is True
    assert "offline assistant" in reply["text"] and "300 EUR" in reply["text"]
    assert reply["passages"] and reply["passages"][0].endswith("#1")
    assert reply["status"] == "ai_handling"
    say(tenant, conversation, "Can you fix my car's gearbox?")
    unsure = ok(tenant.post(f"/v1/conversations/{conversation}/ai-reply"))
    assert unsure.json()["delivered"] is False
    assert (unsure.json()["status"], unsure.json()["handoff_reason"]) == (
        "waiting_for_agent", "low_confidence")
    view = tenant.read(f"/v1/conversations/{conversation}",
                       unsure.headers["x-frontdesk-position"]).json()
    assert [m["author"] for m in view["messages"]] == ["customer", "ai", "customer"]
    assert view["messages"][1]["ai"]["provider"] == "local"
    assert [e["type"] for e in history(tenant, conversation)][-3:] == [
        "MessageReceived", "AiReplyGenerated", "HandedOff"]


def test_an_openai_answer_is_built_from_knowledge_and_stored_with_provenance(
        desk: TenantSession, fake_openai: FakeOpenAI) -> None:
    conversation, _ = webchat(desk)
    say(desk, conversation, "Hi! How much is teeth whitening?")
    response = ok(desk.post(f"/v1/conversations/{conversation}/ai-reply"))
    reply = response.json()
    assert reply["text"] == FakeOpenAI.reply
    assert (reply["provider"], reply["model"], reply["tokens_in"]) == ("openai", "gpt-4o-mini", 42)
    assert reply["cost_micros"] > 0 and reply["fallbacks"] == []
    sent = json.loads(fake_openai.received("/chat/completions")[-1]["body"])
    assert "Teeth whitening costs 300 EUR" in sent["messages"][0]["content"]  # the passage
    assert sent["messages"][-1] == {"role": "user", "content": "Hi! How much is teeth whitening?"}
    view = desk.read(f"/v1/conversations/{conversation}",
                     response.headers["x-frontdesk-position"]).json()
    ai = view["messages"][-1]
    assert (ai["author"], ai["body"], ai["delivery"]) == ("ai", FakeOpenAI.reply,
                                                          "not_applicable")
    assert ai["ai"]["tokens_out"] == reply["tokens_out"]
    assert ai["ai"]["passages"] == reply["passages"]
    usage = desk.read("/v1/analytics/ai-usage", response.headers["x-frontdesk-position"]).json()
    [row] = usage["items"]
    assert (row["provider"], row["replies"], row["tokens_in"]) == ("openai", 1, 42)
    metrics = ok(desk.client.get("/metrics")).text
    assert 'frontdesk_llm_tokens_total{direction="in",provider="openai"}' in metrics


def test_the_reply_streams_as_server_sent_events_and_is_stored_once(
        desk: TenantSession) -> None:
    conversation, _ = webchat(desk, knowledge=False)
    say(desk, conversation, "Are you open on Saturday?")
    with desk.client.stream("POST", f"/v1/conversations/{conversation}/ai-reply",
                            headers={**desk.headers, "Accept": "text/event-stream"}) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = sse_events(list(stream.iter_lines()))
    names = [name for name, _ in events]
    assert names[0] == "started" and names[-1] == "done"
    assert names.count("delta") > 3
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert streamed == done["text"] == FakeOpenAI.reply
    assert events[0][1]["message_id"] == done["message_id"]
    types = [e["type"] for e in history(desk, conversation)]
    assert types.count("AiReplyGenerated") == 1 and types.count("MessageSent") == 1


def test_a_client_leaving_mid_stream_leaves_one_complete_reply(
        desk: TenantSession, fake_openai: FakeOpenAI) -> None:
    conversation, _ = webchat(desk, knowledge=False)
    say(desk, conversation, "Tell me about whitening")
    fake_openai.chunk_delay = 0.05
    try:
        with desk.client.stream("POST", f"/v1/conversations/{conversation}/ai-reply",
                                headers={**desk.headers,
                                         "Accept": "text/event-stream"}) as stream:
            for line in stream.iter_lines():
                if line.startswith("event: delta"):
                    break  # the client goes away after the first piece
    finally:
        fake_openai.chunk_delay = 0.0
    deadline = time.monotonic() + 30
    while True:
        events = history(desk, conversation)
        if any(e["type"] == "MessageSent" for e in events) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    sent = [e for e in events if e["type"] == "MessageSent"]
    assert len(sent) == 1 and sent[0]["data"]["body"] == FakeOpenAI.reply
    assert [e["type"] for e in events].count("AiReplyGenerated") == 1


def test_every_provider_down_is_a_503_and_the_customers_message_stays(
        desk: TenantSession, fake_openai: FakeOpenAI, vendor_container: Any) -> None:
    conversation, _ = webchat(desk, knowledge=False)
    say(desk, conversation, "Hello?")
    fake_openai.fail_with = 503
    try:
        down = desk.post(f"/v1/conversations/{conversation}/ai-reply")
        streamed = desk.post(f"/v1/conversations/{conversation}/ai-reply",
                             headers={"Accept": "text/event-stream"})
    finally:
        fake_openai.fail_with = None
        for provider in vendor_container.conversations.language_model().providers:
            provider.breaker.close()
    assert down.status_code == 503 and streamed.status_code == 503
    assert down.headers["content-type"].startswith("application/problem+json")
    assert down.json()["type"].endswith("/llm-unavailable") and down.headers["retry-after"]
    assert [e["type"] for e in history(desk, conversation)] == [
        "ConversationStarted", "MessageReceived"]


def test_hand_off_join_resolve_and_surveys(tenant: TenantSession) -> None:
    conversation, _ = webchat(tenant, knowledge=False)
    path = f"/v1/conversations/{conversation}"
    asked = say(tenant, conversation, "I want to talk to a human please").json()
    assert (asked["status"], asked["handoff_reason"]) == ("waiting_for_agent",
                                                           "customer_request")
    refused = tenant.post(f"{path}/ai-reply")
    assert refused.status_code == 409
    assert ok(tenant.post(f"{path}/join")).json()["status"] == "agent_handling"
    answered = ok(tenant.post(f"{path}/messages", json={"author": "agent",
                                                        "body": "Hi, I'm Marta."})).json()
    assert answered["messages"][-1]["author"] == "agent"
    assert answered["messages"][-1]["delivery"] == "not_applicable"
    assert tenant.post(f"{path}/csat", json={"score": 5}).status_code == 409  # not resolved
    bad = tenant.post(f"{path}/resolve", json={"disposition": "MADE_UP_CODE"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "disposition"
    version = answered["version"]
    resolved = ok(tenant.post(f"{path}/resolve", json={"disposition": "APPOINTMENT_BOOKED",
                                                       "note": "Booked for Friday"},
                              headers={"If-Match": f'"{version}"'})).json()
    assert (resolved["status"], resolved["disposition"]) == ("resolved", "APPOINTMENT_BOOKED")
    assert ok(tenant.post(f"{path}/csat", json={"score": 5, "comment": "great"})).json()[
        "csat"] == 5
    assert ok(tenant.post(f"{path}/nps", json={"score": 9})).json()["nps"] == 9
    assert tenant.post(f"{path}/csat", json={"score": 4}).status_code == 409
    assert tenant.post(f"{path}/messages", json={"author": "customer",
                                                 "body": "one more thing"}).status_code == 409
    assert [e["type"] for e in history(tenant, conversation)] == [
        "ConversationStarted", "MessageReceived", "HandedOff", "AgentJoined", "MessageSent",
        "ConversationResolved", "CsatRecorded", "NpsRecorded"]


def test_an_agent_gets_an_ai_draft_as_json_or_streamed_and_nothing_is_sent(
        tenant: TenantSession) -> None:
    conversation, _ = webchat(tenant)
    path = f"/v1/conversations/{conversation}"
    say(tenant, conversation, "How much does teeth whitening cost?")
    before_handoff = tenant.post(f"{path}/ai-draft")
    assert before_handoff.status_code == 409, before_handoff.text
    assert before_handoff.json()["type"].endswith("/rule-violated")
    assert tenant.post(f"{path}/ai-draft",
                       headers={"Accept": "text/event-stream"}).status_code == 409
    joined = ok(tenant.post(f"{path}/join")).json()
    response = ok(tenant.post(f"{path}/ai-draft"))
    draft = response.json()
    assert draft["provider"] == "local" and "300 EUR" in draft["text"]
    assert draft["passages"] and draft["passages"][0].endswith("#1")
    assert draft["version"] == joined["version"] + 1
    assert response.headers["etag"] == f'"{draft["version"]}"'
    assert {"draft_id", "model", "tokens_in", "tokens_out", "confidence", "memory_ids",
            "fallbacks"} <= draft.keys()
    with tenant.client.stream("POST", f"{path}/ai-draft",
                              headers={**tenant.headers, "Accept": "text/event-stream"}) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = sse_events(list(stream.iter_lines()))
    names = [name for name, _ in events]
    assert names[0] == "started" and names[-1] == "done" and "delta" in names
    done = events[-1][1]
    assert events[0][1]["draft_id"] == done["draft_id"] != draft["draft_id"]
    assert "".join(d["text"] for n, d in events if n == "delta") == done["text"] == draft["text"]
    assert done["version"] == draft["version"] + 1
    # Nothing was sent: the status and the messages are as the agent left them.
    view = tenant.read(path, response.headers["x-frontdesk-position"]).json()
    assert (view["status"], [m["author"] for m in view["messages"]]) == (
        "agent_handling", ["customer"])
    types = [e["type"] for e in history(tenant, conversation)]
    assert types.count("AiDraftSuggested") == 2 and "MessageSent" not in types
    sent = ok(tenant.post(f"{path}/messages", json={"author": "agent", "body": done["text"]},
                          headers={"If-Match": f'"{done["version"]}"'}))
    usage = tenant.read("/v1/analytics/ai-usage", sent.headers["x-frontdesk-position"]).json()
    [row] = usage["items"]
    assert (row["provider"], row["replies"]) == ("local", 2) and row["tokens_in"] > 0


def test_another_tenants_conversation_is_404(tenant: TenantSession,
                                             other_tenant: TenantSession) -> None:
    conversation, _ = webchat(tenant, knowledge=False)
    path = f"/v1/conversations/{conversation}"
    assert other_tenant.get(path).status_code == 404
    assert other_tenant.get(f"{path}/events").status_code == 404
    assert other_tenant.post(f"{path}/ai-reply").status_code == 404
    assert other_tenant.post(f"{path}/ai-draft").status_code == 404
    assert other_tenant.post(f"{path}/messages", json={"author": "customer",
                                                       "body": "hi"}).status_code == 404
    assert other_tenant.post(f"{path}/handoff", json={}).status_code == 404
    assert len(history(tenant, conversation)) == 1


def test_bad_input_is_a_clear_4xx_and_changes_nothing(tenant: TenantSession) -> None:
    conversation, _ = webchat(tenant, knowledge=False)
    path = f"/v1/conversations/{conversation}"
    cases = [
        tenant.post("/v1/conversations", json={"contact_id": conversation, "channel": "fax"}),
        tenant.post(f"{path}/messages", json={"author": "customer", "body": ""}),
        tenant.post(f"{path}/messages", json={"author": "robot", "body": "hi"}),
        tenant.post(f"{path}/messages", json={"author": "customer", "body": "x" * 10_001}),
        tenant.post(f"{path}/csat", json={"score": 7}),
        tenant.post(f"{path}/nps", json={"score": -1}),
        tenant.post(f"{path}/handoff", json={"reason": "x", "extra": 1}),
        tenant.post("/v1/knowledge", json={"title": "", "text": "x"}),
    ]
    for response in cases:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    unknown_contact = tenant.post("/v1/conversations", json={
        "contact_id": "8a6e0804-2bd0-4672-b79d-d97027f9071a", "channel": "sms"})
    assert unknown_contact.status_code == 404
    stale = tenant.post(f"{path}/handoff", json={}, headers={"If-Match": '"7"'})
    assert stale.status_code == 409 and stale.json()["type"].endswith("/stale-version")
    assert len(history(tenant, conversation)) == 1
