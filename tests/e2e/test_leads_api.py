"""Every contact and lead endpoint over HTTP, on the real service and a real PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.conftest import TenantSession

LEAD = {"name": "Ana Ruiz", "email": "ana@example.com", "phone": "+34 612 345 678",
        "source": "web_form", "campaign": "spring-whitening", "channel": "web",
        "notes": "asks about whitening"}


def capture(tenant: TenantSession, body: dict[str, Any] | None = None, **headers: str) -> Any:
    response = tenant.post("/v1/leads", json=body or LEAD, headers=headers)
    assert response.status_code == 201, response.text
    return response


def test_capture_answers_with_the_lead_and_its_position(tenant: TenantSession) -> None:
    response = capture(tenant)
    lead = response.json()
    assert lead["status"] == "new" and lead["version"] == 1
    assert lead["email"] == "ana@example.com" and lead["phone"] == "+34612345678"
    assert lead["contact_created"] is True
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/v1/leads/{lead['id']}"
    assert int(response.headers["x-frontdesk-position"]) > 0
    UUID(lead["contact_id"])


def test_read_your_writes_with_the_position(tenant: TenantSession) -> None:
    response = capture(tenant)
    lead = response.json()
    got = tenant.read(f"/v1/leads/{lead['id']}", response.headers["x-frontdesk-position"])
    assert got.status_code == 200
    view = got.json()
    assert (view["name"], view["campaign"], view["version"]) == ("Ana Ruiz",
                                                                "spring-whitening", 1)


def test_the_whole_pipeline_with_if_match(tenant: TenantSession) -> None:
    lead = capture(tenant).json()
    path = f"/v1/leads/{lead['id']}"
    user = tenant.client.post("/v1/auth/login", json={
        "tenant": tenant.slug, "email": f"owner@{tenant.slug}.example",
        "password": "correct horse battery staple"})
    assert user.status_code == 200
    steps = [
        ("assign", {"agent_id": "8a6e0804-2bd0-4672-b79d-d97027f9071a"}),
        ("contact", {"channel": "phone", "outcome": "reached", "note": "call back Friday"}),
        ("score", {"score": 72, "reasons": ["asked for price"]}),
        ("follow-ups", {"due_at": "2026-12-01T09:00:00Z", "note": "send quote"}),
        ("qualify", {"note": "budget confirmed"}),
    ]
    version = 1
    for action, body in steps:
        response = tenant.post(f"{path}/{action}", json=body, headers={"If-Match": f'"{version}"'})
        assert response.status_code == 200, (action, response.text)
        assert response.json()["version"] == version + 1
        version += 1
    view = response.json()
    assert view["status"] == "qualified" and view["score"] == 72
    assert view["name"] == "Ana Ruiz"  # actions answer with the whole lead
    [follow_up] = view["follow_ups"]
    done = tenant.post(f"{path}/follow-ups/{follow_up['id']}/complete",
                       json={"outcome": "quote sent"})
    assert done.json()["follow_ups"][0]["completed_at"] is not None
    converted = tenant.post(f"{path}/convert")
    assert converted.status_code == 200
    assert converted.json()["status"] == "converted"
    assert converted.json()["case_id"] is not None
    again = tenant.post(f"{path}/contact", json={"channel": "sms", "outcome": "sent"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    history = tenant.get(f"{path}/events").json()["items"]
    assert [e["type"] for e in history] == [
        "LeadCaptured", "LeadAssigned", "LeadContacted", "LeadScored", "FollowUpScheduled",
        "LeadQualified", "FollowUpCompleted", "LeadConverted"]
    assert [e["version"] for e in history] == list(range(1, 9))
    assert history[0]["data"]["notes"] == "asks about whitening"
    assert all(e["actor"].startswith("user:") for e in history)


def test_stale_if_match_is_a_409_and_changes_nothing(tenant: TenantSession) -> None:
    lead = capture(tenant).json()
    path = f"/v1/leads/{lead['id']}"
    assert tenant.post(f"{path}/qualify", json={}, headers={"If-Match": "1"}).status_code == 200
    stale = tenant.post(f"{path}/lose", json={"reason": "x"}, headers={"If-Match": "1"})
    assert stale.status_code == 409
    assert stale.json()["type"].endswith("/stale-version")
    assert stale.json()["current_version"] == 2
    assert len(tenant.get(f"{path}/events").json()["items"]) == 2


def test_duplicate_open_lead_is_a_409_with_the_existing_id(tenant: TenantSession) -> None:
    first = capture(tenant).json()
    duplicate = tenant.post("/v1/leads", json={**LEAD, "email": "ANA@EXAMPLE.COM"})
    assert duplicate.status_code == 409
    assert duplicate.json()["type"].endswith("/duplicate-lead")
    assert duplicate.json()["existing_id"] == first["id"]
    other_source = tenant.post("/v1/leads", json={**LEAD, "source": "referral"})
    assert other_source.status_code == 201
    assert other_source.json()["contact_id"] == first["contact_id"]
    assert other_source.json()["contact_created"] is False


def test_lose_and_reopen_needs_a_supervisor(tenant: TenantSession) -> None:
    lead = capture(tenant).json()
    path = f"/v1/leads/{lead['id']}"
    assert tenant.post(f"{path}/lose", json={"reason": "no budget"}).json()["status"] == "lost"
    reopened = tenant.post(f"{path}/reopen", json={"reason": "budget found"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "new"


def test_lists_filter_and_paginate_with_a_cursor(tenant: TenantSession) -> None:
    position = ""
    for n in range(5):
        response = capture(tenant, {"email": f"p{n}@example.com", "source": "fair",
                                    "campaign": "autumn" if n % 2 else "spring"})
        position = response.headers["x-frontdesk-position"]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "campaign": "spring"} | ({"cursor": cursor} if cursor else {})
        page = tenant.read("/v1/leads", position, params=params).json()
        seen += [item["email"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["p4@example.com", "p2@example.com", "p0@example.com"]  # newest first
    by_status = tenant.read("/v1/leads", position, params={"status": "lost"}).json()
    assert by_status["items"] == []


def test_contacts_register_read_change_and_consent(tenant: TenantSession) -> None:
    created = tenant.post("/v1/contacts", json={"name": "Bo", "email": "bo@example.com",
                                                 "phone": "612 345 679", "region": "ES"})
    assert created.status_code == 201, created.text
    contact = created.json()
    assert contact["phone"] == "+34612345679"
    path = f"/v1/contacts/{contact['id']}"
    taken = tenant.post("/v1/contacts", json={"email": "BO@example.com"})
    assert taken.status_code == 409 and taken.json()["existing_id"] == contact["id"]
    changed = tenant.patch(path, json={"email": "bo@new.example"}, headers={"If-Match": "1"})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    consent = tenant.post(f"{path}/consent", json={"channel": "sms", "granted": False,
                                                   "reason": "STOP"})
    assert consent.json()["consents"] == {"sms": False}
    view = tenant.read(path, consent.headers["x-frontdesk-position"]).json()
    assert view["email"] == "bo@new.example" and view["consents"] == {"sms": False}
    found = tenant.read("/v1/contacts", consent.headers["x-frontdesk-position"],
                        params={"email": "BO@new.example"}).json()["items"]
    assert [c["id"] for c in found] == [contact["id"]]
    # The old email is free again: a new contact may take it.
    assert tenant.post("/v1/contacts", json={"email": "bo@example.com"}).status_code == 201
    events = tenant.get(f"{path}/events").json()["items"]
    assert [e["type"] for e in events] == ["ContactRegistered", "ContactDetailsChanged",
                                           "ContactConsentChanged"]


def test_idempotency_key_returns_the_first_response(tenant: TenantSession) -> None:
    first = capture(tenant, **{"Idempotency-Key": "lead-001"})
    retry = tenant.post("/v1/leads", json=LEAD, headers={"Idempotency-Key": "lead-001"})
    assert retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["x-frontdesk-position"] == first.headers["x-frontdesk-position"]
    other_body = tenant.post("/v1/leads", json={**LEAD, "source": "other"},
                             headers={"Idempotency-Key": "lead-001"})
    assert other_body.status_code == 422
    assert other_body.json()["type"].endswith("/idempotency-key-reused")
    position = first.headers["x-frontdesk-position"]
    leads = tenant.read("/v1/leads", position).json()["items"]
    assert len(leads) == 1
