"""Message bodies deleted after M months (ADR 0086) on the real database: a run on a moved
clock destroys the old bodies' own keys, so the bodies are gone from the thread, the access
export, the memory index, the event history and any rebuild, while newer bodies and every other
fact of the messages stay; a dry run changes nothing; another tenant is untouched; the report
counts the bodies per tenant."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from adapters.clock import ManualClock
from adapters.privacy.tenant_retention import (
    PostgresInactiveContacts,
    PostgresMessageBodiesToDelete,
)
from application.bus import CommandBus
from application.conversations.commands import PostMessage
from application.ports import CommandContext
from application.privacy import ApplyRetention, months_before
from tests.conftest import TenantSession
from tests.e2e.test_retention_policies import put_policy

ERASED = "[erased]"


def retention(container: Any, clock: ManualClock) -> ApplyRetention:
    """The container's policies, queries and reports, with a clock the test moves."""
    bus = CommandBus(container.unit_of_work(), container.event_store(), clock,
                     handlers=container.bus().handlers)
    return ApplyRetention(container.privacy.retention_policies(),
                          PostgresInactiveContacts(container.worker_pool()),
                          container.privacy.retention_reports(), bus, clock,
                          bodies=PostgresMessageBodiesToDelete(container.worker_pool()),
                          batch=1)  # pages of one: every page boundary is crossed


def chat(tenant: TenantSession, mark: str) -> dict[str, Any]:
    """A contact, a web chat, the customer's message and an agent's answer (now)."""
    lead = tenant.post("/v1/leads", json={"name": f"{mark} Person", "source": "web_form",
                                          "email": f"{mark}@bodies.example"})
    assert lead.status_code == 201, lead.text
    contact = lead.json()["contact_id"]
    started = tenant.post("/v1/conversations", json={"contact_id": contact,
                                                     "channel": "webchat"})
    assert started.status_code == 201, started.text
    conversation = started.json()["id"]
    for author, body in (("customer", f"{mark} asks about crowns"),
                         ("agent", f"{mark} answer: crowns cost 900")):
        said = tenant.post(f"/v1/conversations/{conversation}/messages",
                           json={"author": author, "body": body})
        assert said.status_code == 200, said.text
    return {"contact": contact, "conversation": conversation,
            "position": said.headers["x-frontdesk-position"]}


def thread(tenant: TenantSession, conversation: str, position: str) -> list[dict[str, Any]]:
    found = tenant.read(f"/v1/conversations/{conversation}", position)
    assert found.status_code == 200, found.text
    return found.json()["messages"]  # type: ignore[no-any-return]


def memory_texts(tenant: TenantSession, contact: str, position: str) -> str:
    found = tenant.read(f"/v1/contacts/{contact}/memories", position,
                        params={"query": "crowns cost"})
    assert found.status_code == 200, found.text
    return " ".join(item["text"] for item in found.json()["items"])


def test_old_message_bodies_go_everywhere_and_the_rest_stays(
        container: Any, tenant: TenantSession, other_tenant: TenantSession) -> None:
    mark = uuid.uuid4().hex[:8]
    mine = chat(tenant, f"old{mark}")
    foreign = chat(other_tenant, f"foreign{mark}")  # the other tenant keeps everything
    old_thread = thread(tenant, mine["conversation"], mine["position"])
    assert [m["body"] for m in old_thread] == [f"old{mark} asks about crowns",
                                               f"old{mark} answer: crowns cost 900"]
    assert f"old{mark} asks about crowns" in memory_texts(tenant, mine["contact"],
                                                          mine["position"])
    assert put_policy(tenant, {"delete_message_bodies_months": 12}).status_code == 200
    assert tenant.get("/v1/retention/policy").json()["delete_message_bodies_months"] == 12

    # 13 months on the customer writes again: that body is new, the first two are old.
    clock = ManualClock(datetime.now(UTC) + timedelta(days=31 * 13))
    apply = retention(container, clock)
    ctx = CommandContext(UUID(tenant.id), "test:customer")
    newer = apply.bus.execute(PostMessage(UUID(mine["conversation"]), None, "customer",
                                          f"new{mark} back about crowns"), ctx)
    assert len(thread(tenant, mine["conversation"], newer.position)) == 3
    events_before = tenant.get(f"/v1/conversations/{mine['conversation']}/events"
                               ).json()["items"]

    # A dry run counts them and changes nothing.
    [dry] = apply.run(tenant_id=UUID(tenant.id), dry_run=True, triggered_by="test")
    assert dry.bodies_before == months_before(clock.now(), 12)
    assert dry.message_bodies_deleted == 2
    assert [(str(c.conversation_id), c.outcome) for c in dry.conversations] == [
        (mine["conversation"], "would_delete")]
    assert [m["body"] for m in thread(tenant, mine["conversation"], newer.position)][:2] == [
        f"old{mark} asks about crowns", f"old{mark} answer: crowns cost 900"]

    # The run: the old bodies' keys destroyed in one commit with MessageBodiesDeleted.
    clock.advance(timedelta(minutes=1))
    reports = apply.run(dry_run=False)
    [report] = [r for r in reports if str(r.tenant_id) == tenant.id]
    assert (report.message_bodies_deleted, report.failures) == (2, 0)
    assert all(str(r.tenant_id) != other_tenant.id for r in reports)
    later = apply.bus.execute(PostMessage(UUID(mine["conversation"]), None, "customer",
                                          "one more thing"), ctx)
    position = later.position

    def old_bodies_gone_new_kept() -> None:
        messages = thread(tenant, mine["conversation"], position)
        assert [m["body"] for m in messages] == [
            ERASED, ERASED, f"new{mark} back about crowns", "one more thing"]
        # the messages' other facts stay
        assert [(m["direction"], m["author"], m["at"]) for m in messages[:2]] == [
            (m["direction"], m["author"], m["at"]) for m in old_thread]
        conversation = tenant.get(f"/v1/conversations/{mine['conversation']}").json()
        assert conversation["channel"] == "webchat"
        texts = memory_texts(tenant, mine["contact"], position)
        assert f"old{mark}" not in texts and f"new{mark} back about crowns" in texts
        export = tenant.read(f"/v1/contacts/{mine['contact']}/export", position)
        assert export.status_code == 200, export.text
        assert f"old{mark} asks" not in export.text
        assert f"old{mark} answer" not in export.text
        assert f"new{mark} back about crowns" in export.text
        assert f"old{mark} Person" in export.text  # the contact itself is kept

    old_bodies_gone_new_kept()
    # The log is intact: the same events, plus the deletion; the old bodies read [erased].
    events = tenant.get(f"/v1/conversations/{mine['conversation']}/events").json()["items"]
    assert [e["type"] for e in events[:len(events_before)]] == [
        e["type"] for e in events_before]
    assert "MessageBodiesDeleted" in [e["type"] for e in events]
    assert f"old{mark} asks" not in str(events) and f"new{mark} back" in str(events)

    # A rebuild of the read models replays the log: the bodies do not come back.
    manager = container.projection_manager()
    for projection in ("conversations", "memories"):
        manager.rebuild(projection)
    old_bodies_gone_new_kept()

    # The other tenant's bodies are untouched.
    assert [m["body"] for m in thread(other_tenant, foreign["conversation"],
                                      foreign["position"])] == [
        f"foreign{mark} asks about crowns", f"foreign{mark} answer: crowns cost 900"]

    # A second run finds nothing more; the reports count the bodies through the API.
    clock.advance(timedelta(minutes=1))
    [again] = apply.run(tenant_id=UUID(tenant.id))
    assert (again.message_bodies_deleted, again.conversations) == (0, ())
    stored = tenant.get(f"/v1/retention/reports/{report.id}").json()
    assert stored["message_bodies_deleted"] == 2
    assert stored["conversations"] == [{"conversation_id": mine["conversation"],
                                        "bodies": 2, "outcome": "deleted"}]
    assert stored["policy"]["delete_message_bodies_months"] == 12
    assert tenant.get(f"/v1/retention/reports/{dry.id}").json()[
        "conversations"][0]["outcome"] == "would_delete"
    assert other_tenant.get(f"/v1/retention/reports/{report.id}").status_code == 404


def test_the_cli_applies_the_bodies_policy_through_the_container(
        container: Any, owner_url: str, monkeypatch: pytest.MonkeyPatch,
        tenant: TenantSession) -> None:
    from entrypoints.cli.main import app

    monkeypatch.setenv("DATABASE_URL", owner_url)
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "200")
    mark = uuid.uuid4().hex[:8]
    mine = chat(tenant, f"cli{mark}")
    # A message recorded two months ago (a clock moved back): the only body old enough.
    past = retention(container, ManualClock(datetime.now(UTC) - timedelta(days=62)))
    ctx = CommandContext(UUID(tenant.id), "test:customer")
    past.bus.execute(PostMessage(UUID(mine["conversation"]), None, "customer",
                                 f"past{mark} old question"), ctx)
    assert put_policy(tenant, {"delete_message_bodies_months": 1}).status_code == 200

    runner = CliRunner()
    dry = runner.invoke(app, ["retention", "run", "--tenant", tenant.slug, "--dry-run"],
                        catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "would delete 1 message bodies" in dry.stdout
    run = runner.invoke(app, ["retention", "run", "--tenant", tenant.id, "--json"],
                        catch_exceptions=False)
    assert run.exit_code == 0, run.output
    [report] = [json.loads(line) for line in run.stdout.splitlines()]
    assert (report["delete_message_bodies_months"], report["message_bodies_deleted"]) == (1, 1)
    assert report["conversations"] == [{"conversation_id": mine["conversation"], "bodies": 1,
                                        "outcome": "deleted"}]
    later = retention(container, ManualClock(datetime.now(UTC))).bus.execute(
        PostMessage(UUID(mine["conversation"]), None, "customer", "today"), ctx)
    assert [m["body"] for m in thread(tenant, mine["conversation"], later.position)] == [
        f"cli{mark} asks about crowns", f"cli{mark} answer: crowns cost 900", ERASED, "today"]
