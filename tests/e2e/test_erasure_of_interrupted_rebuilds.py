"""An interrupted projection rebuild keeps decrypted personal data in its copies (schema
``frontdesk_rebuild``); erasing someone it holds empties them, unless the rebuild is running
(it then purges the person itself), and the next rebuild starts over and works."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from tests.conftest import TenantSession

PROJECTIONS = {"contacts": ("contacts", "id"), "lead_pipeline": ("lead_pipeline", "contact_id")}


class Interrupted(Exception):
    """Stands for the kill: the rebuild stops between two committed batches."""


def fetch(owner_url: str, query: Any, params: Any = ()) -> list[dict[str, Any]]:
    with psycopg.connect(owner_url, row_factory=dict_row, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def leftovers(owner_url: str) -> str:
    """Every row of every table in the rebuild schema, as text."""
    tables = fetch(owner_url, "SELECT tablename FROM pg_tables "
                              "WHERE schemaname = 'frontdesk_rebuild'")
    text = []
    for row in tables:
        for found in fetch(owner_url, sql.SQL("SELECT t::text AS row FROM {} t").format(
                sql.Identifier("frontdesk_rebuild", row["tablename"]))):
            text.append(found["row"])
    return "\n".join(text)


def interrupt_once_it_holds(manager: Any, owner_url: str, name: str, contact: str) -> None:
    table, column = PROJECTIONS[name]
    query = sql.SQL("SELECT count(*) AS n FROM {} WHERE {} = %s").format(
        sql.Identifier("frontdesk_rebuild", table), sql.Identifier(column))

    def progress(_: int) -> None:
        if fetch(owner_url, query, (contact,))[0]["n"]:
            raise Interrupted

    with pytest.raises(Interrupted):
        manager.rebuild(name, resume=False, batch_size=20, progress=progress)


def rebuilding(owner_url: str) -> set[str]:
    return {r["name"] for r in fetch(owner_url, "SELECT name FROM projection_tracking "
                                                "WHERE name LIKE '%%@rebuild'")}


def test_erasure_empties_interrupted_rebuilds_but_not_a_running_one(
        container: Any, owner_url: str, tenant: TenantSession) -> None:
    mark = f"rb{uuid.uuid4().hex[:10]}"
    created = tenant.post("/v1/leads", json={"name": f"{mark} Person", "source": "web_form",
                                             "email": f"{mark}@rebuild.example",
                                             "notes": f"{mark} note"})
    assert created.status_code == 201, created.text
    lead = created.json()
    contact = lead["contact_id"]
    kept = tenant.post("/v1/leads", json={"name": "Kept Person", "source": "web_form",
                                          "email": f"kept{mark}@rebuild.example"}).json()
    tenant.read(f"/v1/leads/{kept['id']}", created.headers["x-frontdesk-position"])

    manager = container.projection_manager()
    for name in PROJECTIONS:
        interrupt_once_it_holds(manager, owner_url, name, contact)
    assert {"contacts@rebuild", "lead_pipeline@rebuild"} <= rebuilding(owner_url)
    assert f"{mark}@rebuild.example" in leftovers(owner_url)  # the plaintext a kill leaves

    # A rebuild of contacts that is running holds its lock: its copy is left to it.
    with psycopg.connect(owner_url, autocommit=True) as running:
        running.execute("SELECT pg_advisory_lock(hashtext('projection-rebuild:contacts'))")
        erased = tenant.client.delete(f"/v1/contacts/{contact}", headers=tenant.headers)
        assert erased.status_code == 202, erased.text
        result = container.privacy.compactor().run_once()
        assert "contacts" not in result.rebuilds_scrubbed
        assert "contacts@rebuild" in rebuilding(owner_url)
        assert "lead_pipeline@rebuild" not in rebuilding(owner_url)
        assert fetch(owner_url, "SELECT count(*) AS n FROM frontdesk_rebuild.lead_pipeline"
                     )[0]["n"] == 0
        assert f"{mark} Person" in leftovers(owner_url)

    # Interrupted (the lock is free): the next compactor run empties it.
    result = container.privacy.compactor().run_once()
    assert "contacts" in result.rebuilds_scrubbed
    text = leftovers(owner_url)
    for needle in (mark, contact):
        assert needle not in text
    assert not {"contacts@rebuild", "lead_pipeline@rebuild"} & rebuilding(owner_url)

    # The next rebuilds start over and swap in views without the person.
    for name in PROJECTIONS:
        report = manager.rebuild(name)
        assert report.events > 0
    position = erased.headers["x-frontdesk-position"]
    assert tenant.read("/v1/leads", position, params={"contact_id": contact}).json()[
        "items"] == []
    assert tenant.get(f"/v1/contacts/{contact}").status_code == 404
    assert tenant.get(f"/v1/leads/{kept['id']}").json()["name"] == "Kept Person"
    assert mark not in leftovers(owner_url)
