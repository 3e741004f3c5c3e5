"""Per-tenant retention policies (ADR 0086) on the real database: admins set them through the
API (bad values 422, nothing stored; other roles and tenants cannot), a run on a moved clock
erases contacts without recent activity through the erase path and keeps the rest, a dry run
changes nothing, every run leaves a report readable through the API, and another tenant's
data is untouched."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from adapters.clock import ManualClock
from application.bus import CommandBus
from application.conversations.commands import PostMessage
from application.ports import CommandContext
from application.privacy import ApplyRetention, months_before
from tests.conftest import TenantSession
from tests.e2e.test_access import add_user, bearer, token_of

PROBLEM = "application/problem+json"


def capture(tenant: TenantSession, mark: str) -> dict[str, Any]:
    created = tenant.post("/v1/leads", json={"name": f"{mark} Person", "source": "web_form",
                                             "email": f"{mark}@retention.example",
                                             "notes": f"{mark} note"})
    assert created.status_code == 201, created.text
    lead = created.json()
    chat = tenant.post("/v1/conversations", json={"contact_id": lead["contact_id"],
                                                  "channel": "webchat"})
    assert chat.status_code == 201, chat.text
    said = tenant.post(f"/v1/conversations/{chat.json()['id']}/messages",
                       json={"author": "customer", "body": f"{mark} asks about whitening"})
    assert said.status_code == 200, said.text
    return {"lead": lead["id"], "contact": lead["contact_id"], "conversation": chat.json()["id"],
            "position": said.headers["x-frontdesk-position"]}


def wait_for(tenant: TenantSession, person: dict[str, Any], position: str) -> None:
    """Every read model the inactivity query reads has reached ``position``."""
    assert tenant.read(f"/v1/contacts/{person['contact']}", position).status_code == 200
    assert tenant.read(f"/v1/leads/{person['lead']}", position).status_code == 200
    assert tenant.read(f"/v1/conversations/{person['conversation']}",
                       position).status_code == 200


def event_types(tenant: TenantSession, contact: str) -> list[str]:
    return [e["type"] for e in tenant.get(f"/v1/contacts/{contact}/events").json()["items"]]


def retention(container: Any, clock: ManualClock) -> ApplyRetention:
    """The container's policies, inactivity query and reports, with a clock the test moves."""
    from adapters.privacy.tenant_retention import PostgresInactiveContacts

    bus = CommandBus(container.unit_of_work(), container.event_store(), clock,
                     handlers=container.bus().handlers)
    return ApplyRetention(container.privacy.retention_policies(),
                          PostgresInactiveContacts(container.worker_pool()),
                          container.privacy.retention_reports(), bus, clock,
                          batch=1)  # pages of one: every page boundary is crossed


def put_policy(tenant: TenantSession, body: Any, **headers: str) -> Any:
    return tenant.client.put("/v1/retention/policy", json=body,
                             headers={**tenant.headers, **headers})


def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_before(datetime(2026, 3, 31, 9, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, 9, tzinfo=UTC)
    assert months_before(datetime(2028, 3, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29,
                                                                            tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 25) == datetime(2023, 12, 15,
                                                                            tzinfo=UTC)


def test_admins_set_the_policy_bad_values_change_nothing_and_no_one_else_can(
        tenant: TenantSession, other_tenant: TenantSession) -> None:
    assert tenant.get("/v1/retention/policy").json() == {
        "erase_inactive_contacts_months": None, "delete_message_bodies_months": None}
    done = put_policy(tenant, {"erase_inactive_contacts_months": 24}, **{
        "User-Agent": "retention-test/1"})
    assert done.status_code == 200, done.text
    assert done.json()["erase_inactive_contacts_months"] == 24
    policy = {"erase_inactive_contacts_months": 24, "delete_message_bodies_months": None}
    assert tenant.get("/v1/retention/policy").json() == policy

    for bad in ({"erase_inactive_contacts_months": 0},
                {"erase_inactive_contacts_months": 1201},
                {"erase_inactive_contacts_months": "24"},
                {"erase_inactive_contacts_months": 2.5},
                {"keep_for_ever": True},
                {"delete_message_bodies_months": 0},
                {"delete_message_bodies_months": 121},
                {"delete_message_bodies_months": "6"}):
        refused = put_policy(tenant, bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert tenant.get("/v1/retention/policy").json() == policy, bad

    # Roles: only admins read or set it. Tenants: each sees and sets its own only.
    supervisor = bearer(token_of(tenant, add_user(tenant, ["supervisor"])))
    assert tenant.client.get("/v1/retention/policy", headers=supervisor).status_code == 403
    assert tenant.client.put("/v1/retention/policy", headers=supervisor, json={
        "erase_inactive_contacts_months": 1}).status_code == 403
    assert tenant.client.get("/v1/retention/reports", headers=supervisor).status_code == 403
    assert other_tenant.get("/v1/retention/policy").json()[
        "erase_inactive_contacts_months"] is None
    assert put_policy(other_tenant, {"erase_inactive_contacts_months": 3}).status_code == 200
    assert tenant.get("/v1/retention/policy").json() == policy

    audited = tenant.get("/v1/audit", params={"action": "retention_policy.changed"}
                         ).json()["items"]
    assert len(audited) == 1 and audited[0]["user_agent"] == "retention-test/1"
    assert audited[0]["actor"].startswith("user:")


def test_a_run_erases_contacts_without_recent_activity_and_keeps_the_rest(
        container: Any, tenant: TenantSession, other_tenant: TenantSession,
        owner_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    mark = uuid.uuid4().hex[:8]
    old = capture(tenant, f"old{mark}")
    older = capture(tenant, f"also-old{mark}")
    recent = capture(tenant, f"recent{mark}")
    foreign = capture(other_tenant, f"foreign{mark}")  # the other tenant keeps everything
    for who, session in ((old, tenant), (older, tenant), (recent, tenant),
                         (foreign, other_tenant)):
        wait_for(session, who, who["position"])
    assert put_policy(tenant, {"erase_inactive_contacts_months": 24}).status_code == 200

    # 25 months on, the recent contact writes again; the old one has been silent since.
    started = datetime.now(UTC)
    clock = ManualClock(started + timedelta(days=31 * 25))
    apply = retention(container, clock)
    conversation = apply.bus.execute(
        PostMessage(UUID(recent["conversation"]), None, "customer", f"recent{mark} is back"),
        CommandContext(UUID(tenant.id), "test:customer"))
    wait_for(tenant, recent, conversation.position)

    # A dry run finds the old contacts, reports them, and changes nothing.
    before = event_types(tenant, old["contact"])
    [dry] = apply.run(tenant_id=UUID(tenant.id), dry_run=True, triggered_by="test")
    assert dry.dry_run and dry.inactive_before == months_before(clock.now(), 24)
    assert [(str(c.contact_id), c.outcome) for c in dry.contacts] == [
        (old["contact"], "would_erase"), (older["contact"], "would_erase")]
    assert event_types(tenant, old["contact"]) == before
    assert tenant.get(f"/v1/contacts/{old['contact']}").status_code == 200

    # The run erases it through the erase path (ContactErased, the log intact), keeps the
    # recent contact, and leaves the other tenant alone (its run has no policy to apply).
    clock.advance(timedelta(minutes=1))
    reports = apply.run(dry_run=False)
    mine = [r for r in reports if str(r.tenant_id) == tenant.id]
    assert [(str(c.contact_id), c.outcome) for c in mine[0].contacts] == [
        (old["contact"], "erased"), (older["contact"], "erased")]
    assert all(str(r.tenant_id) != other_tenant.id for r in reports)
    assert event_types(tenant, old["contact"]) == [*before, "ContactErased"]
    erased = tenant.get(f"/v1/contacts/{old['contact']}/events").json()["items"][-1]
    assert erased["actor"] == "retention:policy"
    assert erased["data"]["reason"] == "retention policy: no activity for 24 months"
    later = apply.bus.execute(  # committed after the erasure, at the moved clock
        PostMessage(UUID(recent["conversation"]), None, "customer", "one more thing"),
        CommandContext(UUID(tenant.id), "test:customer"))
    position = later.position
    assert tenant.read("/v1/leads", position,
                       params={"contact_id": old["contact"]}).json()["items"] == []
    assert tenant.get(f"/v1/contacts/{old['contact']}").status_code == 404
    assert tenant.get(f"/v1/contacts/{older['contact']}").status_code == 404
    assert tenant.get(f"/v1/contacts/{recent['contact']}").status_code == 200
    assert tenant.get(f"/v1/leads/{recent['lead']}").json()["name"] == f"recent{mark} Person"
    assert other_tenant.get(f"/v1/contacts/{foreign['contact']}").status_code == 200
    assert "ContactErased" not in event_types(other_tenant, foreign["contact"])

    # A second run finds nothing more to do.
    clock.advance(timedelta(minutes=1))
    [again] = apply.run(tenant_id=UUID(tenant.id))
    assert again.contacts == ()
    clock.advance(timedelta(minutes=1))  # the worker's runs store a report only when they act
    [quiet] = apply.run(tenant_id=UUID(tenant.id), store_empty=False)
    assert quiet.contacts == () and tenant.get(f"/v1/retention/reports/{quiet.id}"
                                               ).status_code == 404

    # The reports, stored and readable by the tenant's admins only.
    listed = tenant.get("/v1/retention/reports").json()
    assert [r["id"] for r in listed["items"]] == [str(again.id), str(mine[0].id), str(dry.id)]
    one = tenant.get(f"/v1/retention/reports/{mine[0].id}").json()
    assert (one["dry_run"], one["contacts_erased"], one["failures"]) == (False, 2, 0)
    assert one["contacts"][0]["contact_id"] == old["contact"]
    assert one["policy"]["erase_inactive_contacts_months"] == 24
    assert tenant.get(f"/v1/retention/reports/{dry.id}").json()["contacts"][0][
        "outcome"] == "would_erase"
    assert other_tenant.get(f"/v1/retention/reports/{mine[0].id}").status_code == 404
    assert other_tenant.get("/v1/retention/reports").json()["items"] == []
    paged = tenant.get("/v1/retention/reports", params={"limit": 2}).json()
    assert len(paged["items"]) == 2 and paged["next_cursor"]
    rest = tenant.get("/v1/retention/reports", params={"limit": 2,
                                                       "cursor": paged["next_cursor"]}).json()
    assert [r["id"] for r in rest["items"]] == [str(dry.id)]
    assert tenant.get("/v1/retention/reports", params={"cursor": "nonsense"}).status_code == 400


def test_the_cli_runs_a_tenants_policy_now_or_dry_and_prints_the_report(
        owner_url: str, monkeypatch: pytest.MonkeyPatch, tenant: TenantSession) -> None:
    from entrypoints.cli.main import app

    monkeypatch.setenv("DATABASE_URL", owner_url)
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    person = capture(tenant, f"cli{uuid.uuid4().hex[:8]}")
    wait_for(tenant, person, person["position"])
    assert put_policy(tenant, {"erase_inactive_contacts_months": 1}).status_code == 200

    # With the real clock nobody has been inactive for a month: reported, nothing erased.
    dry = runner.invoke(app, ["retention", "run", "--tenant", tenant.slug, "--dry-run"],
                        catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing changed" in dry.stdout and "would erase 0 contacts" in dry.stdout
    run = runner.invoke(app, ["retention", "run", "--tenant", tenant.id, "--json"],
                        catch_exceptions=False)
    assert run.exit_code == 0, run.output
    [report] = [json.loads(line) for line in run.stdout.splitlines()]
    assert (report["tenant_id"], report["dry_run"], report["contacts_erased"]) == (
        tenant.id, False, 0)
    assert tenant.get(f"/v1/contacts/{person['contact']}").status_code == 200
    listed = tenant.get("/v1/retention/reports").json()["items"]
    assert [r["triggered_by"].split(":")[0] for r in listed] == ["cli", "cli"]
    assert [r["dry_run"] for r in listed] == [False, True]

    unknown = runner.invoke(app, ["retention", "run", "--tenant", "no-such-tenant-xyz"])
    assert unknown.exit_code == 1 and "no tenant" in unknown.stderr
