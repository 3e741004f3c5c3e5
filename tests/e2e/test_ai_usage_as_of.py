"""AI usage as of a moment (ADR 0091): recomputed from the answers recorded up to it, so an
answer generated afterwards is not in it; another tenant's answers never are."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.conftest import TenantSession
from tests.e2e.test_conversations_api import ok, say


def answer(session: TenantSession) -> str:
    """One answer of the offline assistant in a new conversation (an unsure answer hands the
    conversation off); returns the position of its commit."""
    contact = ok(session.post("/v1/contacts", json={
        "name": "Ana", "email": f"{uuid.uuid4().hex[:10]}@example.com"}), 201).json()
    conversation = ok(session.post("/v1/conversations", json={
        "contact_id": contact["id"], "channel": "webchat"}), 201).json()["id"]
    say(session, conversation, "Are you open on Saturday?")
    return str(ok(session.post(f"/v1/conversations/{conversation}/ai-reply"))
               .headers["x-frontdesk-position"])


def usage(session: TenantSession, position: str, **params: str) -> dict[str, Any]:
    """Live: once the read model has the write at ``position``; as of: from the events."""
    if "as_of" in params:
        response = ok(session.get("/v1/analytics/ai-usage", params=params))
        assert "x-frontdesk-consistency" not in response.headers  # no read model waited for
        return dict(response.json())
    return dict(session.read("/v1/analytics/ai-usage", position, params=params).json())


def test_ai_usage_as_of_a_moment_is_as_it_stood(tenant: TenantSession,
                                                other_tenant: TenantSession) -> None:
    answer(other_tenant)
    position = answer(tenant)
    recorded = usage(tenant, position)
    moment = datetime.now(UTC)  # every answer above was recorded by then
    [row] = recorded["items"]
    assert (row["provider"], row["replies"], recorded["as_of"]) == ("local", 1, None)
    time.sleep(0.05)

    later = answer(tenant)
    answer(other_tenant)
    live = usage(tenant, later)
    assert [r["replies"] for r in live["items"]] == [2]

    as_of = usage(tenant, later, as_of=moment.isoformat())
    assert as_of["items"] == recorded["items"]  # exactly as it stood
    assert datetime.fromisoformat(as_of["as_of"]) == moment
    assert usage(tenant, later, as_of="2999-01-01T00:00:00Z")["items"] == live["items"]
    day = moment.date().isoformat()
    assert usage(tenant, later, as_of=moment.isoformat(), **{"from": day, "to": day})[
        "items"] == recorded["items"]
    assert usage(tenant, later, as_of="2000-01-01T00:00:00Z")["items"] == []
    # The other tenant: its own single answer at that moment, not this tenant's.
    assert [r["replies"] for r in usage(other_tenant, "0", as_of=moment.isoformat())[
        "items"]] == [1]

    for bad in ("2026-03-09T08:30:00", "0.5", "2026-02-30T00:00:00Z"):
        refused = tenant.get("/v1/analytics/ai-usage", params={"as_of": bad})
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
