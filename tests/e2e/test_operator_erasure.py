"""`frontdesk contacts erase`: an operator erases a contact through the same command as the API,
on the real database; the receipt is printed (or JSON), the erasure is audited with the
operator as actor, and a bad id or an unknown tenant changes nothing."""

from __future__ import annotations

import getpass
import json
import uuid
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import TenantSession


@pytest.fixture
def frontdesk(owner_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Runs `frontdesk ARGS` in process (main's typer app) and returns the result."""
    from entrypoints.cli.main import app

    monkeypatch.setenv("DATABASE_URL", owner_url)
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def capture_person(tenant: TenantSession, mark: str) -> dict[str, Any]:
    created = tenant.post("/v1/leads", json={
        "name": f"{mark} Person", "email": f"{mark}@operator.example", "source": "web_form",
        "notes": f"{mark} wants an implant"})
    assert created.status_code == 201, created.text
    return dict(created.json()) | {"position": created.headers["x-frontdesk-position"]}


def events_of(tenant: TenantSession, contact_id: str) -> list[dict[str, Any]]:
    return list(tenant.get(f"/v1/contacts/{contact_id}/events").json()["items"])


def test_an_operator_erases_a_contact_from_the_cli_as_the_api_would(
        frontdesk: Any, tenant: TenantSession) -> None:
    mark = f"op{uuid.uuid4().hex[:8]}"
    lead = capture_person(tenant, mark)
    kept = capture_person(tenant, f"kept{mark}")
    contact = lead["contact_id"]
    assert tenant.read(f"/v1/contacts/{contact}", lead["position"]).status_code == 200

    done = frontdesk("contacts", "erase", contact, "--tenant", tenant.slug, "--json",
                     "--reason", "asked by phone, ticket 4711")
    assert done.exit_code == 0, done.output
    receipt = json.loads(done.stdout)
    actor = f"operator:{getpass.getuser()}"
    assert (receipt["contact_id"], receipt["already_erased"], receipt["data_key"],
            receipt["requested_by"]) == (contact, False, "destroyed", actor)
    assert {"contacts", "lead_pipeline", "memories"} <= set(receipt["read_models_purged"])

    # The same erasure as the API's: the read models purge the person, the log stays and
    # reads [erased], the other contact is untouched.
    position = receipt["position"]
    assert tenant.read("/v1/leads", position,
                       params={"contact_id": contact}).json()["items"] == []
    assert tenant.get(f"/v1/contacts/{contact}").status_code == 404
    assert [e["type"] for e in events_of(tenant, contact)] == ["ContactRegistered",
                                                                  "ContactErased"]
    # (read by a process that never held the key: the API's may keep it up to 60 s, ADR 0040)
    dumped = [json.loads(line) for line in
              frontdesk("events", "dump", "--tenant", tenant.slug).stdout.splitlines()
              if line.startswith("{")]
    registered = next(e for e in dumped if e["type"] == "ContactRegistered"
                      and e["aggregate_id"] == contact)
    assert registered["data"]["name"] == registered["data"]["email"] == "[erased]"
    captured = next(e for e in dumped if e["type"] == "LeadCaptured"
                    and e["aggregate_id"] == lead["id"])
    assert captured["data"]["notes"] == "[erased]"
    erasure = next(e for e in dumped if e["type"] == "ContactErased")
    assert erasure["data"]["reason"] == "asked by phone, ticket 4711"
    assert erasure["data"]["actor"] == actor
    assert f"kept{mark}@operator.example" in json.dumps(dumped)  # the dump does decrypt
    assert tenant.read(f"/v1/leads/{kept['id']}", position).json()["name"] == f"kept{mark} Person"
    # the API answers the same erasure as already done
    again_api = tenant.client.delete(f"/v1/contacts/{contact}", headers=tenant.headers)
    assert again_api.status_code == 202 and again_api.json()["already_erased"] is True

    # Audited as the operator's action: the event's actor, and an access entry from the CLI.
    trail = tenant.read("/v1/audit", position, params={"resource_id": contact,
                                                       "limit": 50}).json()["items"]
    erased = [e for e in trail if e["action"] == "ContactErased"]
    assert [e["actor"] for e in erased] == [actor]
    access = [e for e in trail if e["action"] == "contact.erased"]
    assert len(access) == 1 and access[0]["source"] == "auth"
    assert access[0]["actor"] == actor and access[0]["user_agent"] == "frontdesk-cli"

    # Asked again (tenant given by id this time, plain text): answered, nothing changes.
    again = frontdesk("contacts", "erase", contact, "--tenant", tenant.id)
    assert again.exit_code == 0, again.output
    assert f"contact {contact} was already erased" in again.stdout
    assert "data key destroyed" in again.stdout
    assert len(events_of(tenant, contact)) == 2


def test_a_bad_id_an_unknown_tenant_or_another_tenants_contact_is_an_error_that_changes_nothing(
        frontdesk: Any, tenant: TenantSession, other_tenant: TenantSession) -> None:
    lead = capture_person(tenant, f"safe{uuid.uuid4().hex[:8]}")
    contact = lead["contact_id"]
    assert tenant.read(f"/v1/contacts/{contact}", lead["position"]).status_code == 200
    before = events_of(tenant, contact)

    bad_id = frontdesk("contacts", "erase", "not-a-uuid", "--tenant", tenant.slug)
    assert bad_id.exit_code == 2
    assert "is not a contact id" in bad_id.stderr and "nothing was changed" in bad_id.stderr

    unknown = frontdesk("contacts", "erase", contact, "--tenant", "no-such-tenant-xyz")
    assert unknown.exit_code == 1
    assert "no tenant 'no-such-tenant-xyz'" in unknown.stderr
    unknown_id = frontdesk("contacts", "erase", contact, "--tenant", str(uuid.uuid4()))
    assert unknown_id.exit_code == 1 and "no tenant" in unknown_id.stderr

    # a contact of one tenant cannot be erased by naming another
    elsewhere = frontdesk("contacts", "erase", contact, "--tenant", other_tenant.slug)
    assert elsewhere.exit_code == 1
    assert f"no contact {contact} in tenant {other_tenant.slug}" in elsewhere.stderr
    missing = frontdesk("contacts", "erase", str(uuid.uuid4()), "--tenant", tenant.slug)
    assert missing.exit_code == 1 and "no contact" in missing.stderr

    assert events_of(tenant, contact) == before
    assert tenant.get(f"/v1/contacts/{contact}").status_code == 200
    audit = tenant.get("/v1/audit", params={"action": "contact.erased"}).json()["items"]
    assert audit == []
