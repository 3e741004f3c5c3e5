"""Issue 6 end to end: memories searchable with explained scores; erasure that leaves no copy
of the person in the database files or a dump while every rebuild still works; the access
export; key rotation under load."""

from __future__ import annotations

import random
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from adapters.embeddings.reembed import reembed
from tests.conftest import TenantSession, provision


def marker() -> str:
    return f"zq{uuid.uuid4().hex[:12]}"  # lower case: emails are stored lower-cased


def spanish_mobile() -> str:
    return "+34 6" + "".join(random.choice("0123456789") for _ in range(8))


def capture(tenant: TenantSession, **body: Any) -> Any:
    response = tenant.post("/v1/leads", json={"source": "web_form", **body})
    assert response.status_code == 201, response.text
    return response


# -- memories ------------------------------------------------------------------------------

def test_notes_become_memories_searchable_with_their_score_parts(tenant: TenantSession,
                                                                 client: Any) -> None:
    ana = capture(tenant, name="Ana", email="ana@mem.example",
                  notes="Wants teeth whitening before her wedding on 2026-06-20").json()
    tenant.post(f"/v1/leads/{ana['id']}/contact", json={
        "channel": "phone", "outcome": "reached", "note": "Asked about the price of veneers"})
    other = capture(tenant, name="Bo", email="bo@mem.example", notes="Teeth whitening too")
    position = other.headers["x-frontdesk-position"]
    found = tenant.read(f"/v1/contacts/{ana['contact_id']}/memories", position,
                        params={"query": "whitening for the wedding 2026-06-20"}).json()
    assert found["model"] == "hashing-384@1"
    assert [e["kind"] for e in found["entities"]] == ["date"]
    top = found["items"][0]
    assert top["text"] == "Wants teeth whitening before her wedding on 2026-06-20"
    assert top["kind"] == "note" and top["source"]["aggregate_id"] == ana["id"]
    assert top["entities_matched"] == [{"kind": "date", "value": "2026-06-20"}]
    assert top["entity_boost"] > 0 and 0.99 < top["decay"] <= 1.0 and top["similarity"] > 0.2
    assert abs(top["score"] - (top["similarity"] * top["decay"] + top["entity_boost"])) < 1e-5
    assert {hit["text"] for hit in found["items"]} == {
        "Wants teeth whitening before her wedding on 2026-06-20",
        "Asked about the price of veneers"}  # never another contact's memories
    metrics = client.get("/metrics").text
    assert "frontdesk_memory_searches_total" in metrics
    assert "frontdesk_memory_search_seconds_bucket" in metrics


def test_another_tenant_cannot_search_a_contacts_memories(tenant: TenantSession,
                                                          other_tenant: TenantSession) -> None:
    lead = capture(tenant, email="priv@mem.example", notes="secret plans")
    tenant.read(f"/v1/leads/{lead.json()['id']}", lead.headers["x-frontdesk-position"])
    answer = other_tenant.get(f"/v1/contacts/{lead.json()['contact_id']}/memories",
                              params={"query": "secret"})
    assert answer.status_code == 404


def test_searches_use_only_current_model_rows_until_reembedded(
        container: Any, tenant: TenantSession) -> None:
    lead = capture(tenant, email="model@mem.example", notes="Prefers appointments on Fridays")
    contact = lead.json()["contact_id"]
    path = f"/v1/contacts/{contact}/memories"
    position = lead.headers["x-frontdesk-position"]
    assert tenant.read(path, position, params={"query": "Fridays"}).json()["items"]
    with psycopg.connect(container.database().owner_url, autocommit=True) as conn:
        conn.execute("UPDATE memories SET model = 'hashing-384@0' WHERE tenant_id = %s",
                     (tenant.id,))
    assert tenant.get(path, params={"query": "Fridays"}).json()["items"] == []
    assert reembed(container.worker_pool(), container.knowledge.embedder()) >= 1
    hits = tenant.get(path, params={"query": "Fridays"}).json()["items"]
    assert [h["text"] for h in hits] == ["Prefers appointments on Fridays"]


# -- erasure -------------------------------------------------------------------------------

def database_files(container: Any) -> list[Path]:
    with psycopg.connect(container.database().owner_url) as conn:
        data_dir, oid = conn.execute(
            "SELECT current_setting('data_directory'), oid FROM pg_database "
            "WHERE datname = current_database()").fetchone()
    base = Path(data_dir) / "base" / str(oid)
    if not base.is_dir():
        pytest.skip("the database files are not on this machine (DATABASE_URL elsewhere)")
    return [p for p in base.iterdir() if p.is_file()]


def pg_dump(container: Any) -> bytes:
    from adapters.postgres.embedded import binaries

    binary = binaries() / "pg_dump"
    return subprocess.run([str(binary), "--data-only", "--dbname",
                           container.database().owner_url], check=True,
                          capture_output=True).stdout


def test_erasure_leaves_no_personal_value_in_files_or_dump_and_rebuilds_work(
        container: Any, tenant: TenantSession) -> None:
    mark = marker()
    name, email, phone = f"{mark}name Person", f"{mark}@erase.example", spanish_mobile()
    first = tenant.post("/v1/leads", headers={"Idempotency-Key": f"erase-{mark}"}, json={
        "name": name, "email": email, "phone": phone, "source": "web_form",
        "notes": f"{mark}note wants veneers"})
    assert first.status_code == 201
    lead = first.json()
    contact_id = lead["contact_id"]
    tenant.post(f"/v1/leads/{lead['id']}/score",
                json={"score": 40, "reasons": [f"{mark}reason budget"]})
    tenant.post(f"/v1/leads/{lead['id']}/contact",
                json={"channel": "phone", "outcome": "reached", "note": f"{mark}call"})
    chat = tenant.post("/v1/conversations", json={"contact_id": contact_id,
                                                  "channel": "webchat"}).json()["id"]
    assert tenant.post(f"/v1/conversations/{chat}/messages", json={
        "author": "customer", "body": f"{mark}chat about my veneers"}).status_code == 200
    kept_email = f"{marker()}@kept.example"
    keep = capture(tenant, name="Kept Person", email=kept_email, notes="kept note").json()
    e164 = tenant.get(f"/v1/leads/{lead['id']}/events").json()["items"][0]
    assert e164["type"] == "LeadCaptured"

    receipt = tenant.client.delete(f"/v1/contacts/{contact_id}", headers=tenant.headers)
    assert receipt.status_code == 202, receipt.text
    body = receipt.json()
    assert (body["contact_id"], body["data_key"], body["already_erased"]) == (
        contact_id, "destroyed", False)
    assert set(body["read_models_purged"]) >= {"contacts", "lead_pipeline", "memories",
                                               "conversations"}
    position = receipt.headers["x-frontdesk-position"]
    again = tenant.client.delete(f"/v1/contacts/{contact_id}", headers=tenant.headers)
    assert again.status_code == 202 and again.json()["already_erased"] is True

    # The read models purged the person; the other contact is untouched.
    assert tenant.read("/v1/leads", position,
                       params={"contact_id": contact_id}).json()["items"] == []
    assert tenant.get(f"/v1/contacts/{contact_id}").status_code == 404
    assert tenant.read(f"/v1/leads/{keep['id']}", position).json()["name"] == "Kept Person"
    gone = tenant.get(f"/v1/conversations/{chat}", headers={"X-Frontdesk-Min-Position": position})
    assert gone.status_code == 404
    # The log is intact: every event is still there, personal fields read [erased].
    history = tenant.get(f"/v1/contacts/{contact_id}/events").json()["items"]
    assert [e["type"] for e in history] == ["ContactRegistered", "ContactErased"]
    assert history[0]["data"]["name"] == history[0]["data"]["email"] == "[erased]"
    lead_history = tenant.get(f"/v1/leads/{lead['id']}/events").json()["items"]
    assert lead_history[0]["data"]["notes"] == "[erased]"
    assert lead_history[1]["data"]["score"] == 40  # non-personal facts stay
    assert lead_history[1]["data"]["reasons"] == ["[erased]"]

    # The compactor rewrites once every projection has moved past the erasure (the ones that
    # do not read ContactErased move past it within LAGGING seconds).
    deadline = time.monotonic() + 30
    compaction = container.privacy.compactor().run_once()
    while compaction.erasures == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
        compaction = container.privacy.compactor().run_once()
    assert compaction.erasures >= 1
    assert {"contacts", "lead_pipeline", "memories", "idempotency_keys"} <= set(
        compaction.tables)
    needles = [f"{mark}name".encode(), email.encode(), f"{mark}note".encode(),
               f"{mark}reason".encode(), f"{mark}call".encode(), f"{mark}chat".encode(),
               phone.replace(" ", "").encode()]
    control = kept_email.encode()  # proves the scan reads the live data
    seen_control = False
    for path in database_files(container):
        content = path.read_bytes()
        seen_control = seen_control or control in content
        for needle in needles:
            assert needle not in content, f"{needle!r} found in {path.name}"
    assert seen_control
    dump = pg_dump(container)
    assert b"kept note" in dump  # the dump does contain the other person's data
    for needle in needles:
        assert needle not in dump

    # Replays and every rebuild still work after the erasure.
    manager = container.projection_manager()
    for projection in manager.projections:
        manager.rebuild(projection)
    assert tenant.get(f"/v1/contacts/{contact_id}").status_code == 404
    assert tenant.get(f"/v1/leads/{keep['id']}").json()["name"] == "Kept Person"
    from domain.leads import Lead

    replayed = container.unit_of_work()(uuid.UUID(tenant.id)).get(Lead, uuid.UUID(lead["id"]))
    assert replayed.score == 40 and replayed.version == 3

    # Nothing personal can be recorded about the person again: a clear 409, nothing written.
    refused = tenant.post(f"/v1/leads/{lead['id']}/contact",
                          json={"channel": "phone", "outcome": "reached", "note": "new note"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/subject-erased")
    assert len(tenant.get(f"/v1/leads/{lead['id']}/events").json()["items"]) == 3


def test_erasure_needs_a_supervisor_and_stays_in_its_tenant(
        tenant: TenantSession, other_tenant: TenantSession) -> None:
    lead = capture(tenant, email="who@erase.example").json()
    denied = other_tenant.client.delete(f"/v1/contacts/{lead['contact_id']}",
                                        headers=other_tenant.headers)
    assert denied.status_code == 404


def test_compaction_does_not_queue_behind_readers_and_retries_later(
        container: Any, owner_url: str, tenant: TenantSession) -> None:
    from adapters.privacy.compaction import ErasureCompactor

    lead = capture(tenant, email=f"{marker()}@busy.example").json()
    erased = tenant.client.delete(f"/v1/contacts/{lead['contact_id']}", headers=tenant.headers)
    tenant.read("/v1/leads", erased.headers["x-frontdesk-position"])  # purged by projections
    projections = container.projections()
    names = [p.name for p in projections]
    compactor = ErasureCompactor(container.worker_pool(), names,
                                 [t for p in projections for t in p.tables], lock_timeout=0.2)
    erased_tx = int(erased.headers["x-frontdesk-position"])
    deadline = time.monotonic() + 30  # every projection moves past the erasure first
    with psycopg.connect(owner_url) as probe:
        while time.monotonic() < deadline:
            low = probe.execute("SELECT min(horizon)::text FROM projection_tracking "
                                "WHERE name = ANY(%s)", (names,)).fetchone()
            if low and low[0] and int(low[0]) > erased_tx:
                break
            time.sleep(0.1)
    with psycopg.connect(owner_url) as reader:  # a long read holds a share lock
        reader.execute("SELECT count(*) FROM memories").fetchone()
        busy = compactor.run_once()
        assert (busy.erasures, busy.tables, busy.waiting) == (0, (), True)
    done = compactor.run_once()
    assert done.erasures >= 1 and "memories" in done.tables


# -- access export ---------------------------------------------------------------------------

def test_export_holds_everything_about_the_contact(tenant: TenantSession,
                                                   other_tenant: TenantSession) -> None:
    first = capture(tenant, name="Exa Port", email="exa@export.example",
                    notes="Prefers mornings").json()
    second = capture(tenant, email="exa@export.example", source="referral")
    position = second.headers["x-frontdesk-position"]
    tenant.read(f"/v1/leads/{second.json()['id']}", position)
    tenant.read(f"/v1/contacts/{first['contact_id']}/memories", position,
                params={"query": "mornings"})
    export = tenant.get(f"/v1/contacts/{first['contact_id']}/export")
    assert export.status_code == 200
    assert "attachment" in export.headers["content-disposition"]
    document = export.json()
    assert document["contact"]["name"] == "Exa Port"
    assert document["contact_events"][0]["type"] == "ContactRegistered"
    assert {lead["lead"]["id"] for lead in document["leads"]} == {
        first["id"], second.json()["id"]}
    assert all(lead["events"][0]["type"] == "LeadCaptured" for lead in document["leads"])
    assert [m["text"] for m in document["memories"]] == ["Prefers mornings"]
    assert other_tenant.get(f"/v1/contacts/{first['contact_id']}/export").status_code == 404


# -- key rotation ----------------------------------------------------------------------------

def _container_with(owner_url: str, keks: str) -> Any:
    from dependency_injector import providers

    from entrypoints.container import Container
    from entrypoints.settings import Settings

    built = Container()
    built.settings.override(providers.Object(Settings(DATABASE_URL=owner_url,
                                                      FRONTDESK_KEKS=keks)))
    built.database()
    return built


def test_rotation_under_load_loses_nothing_and_the_old_kek_is_then_unneeded(
        owner_url: str, container: Any, client: Any) -> None:
    import base64
    import os

    from adapters.crypto.rotation import rotate_data_keys
    from application.contacts.keys import RecordKeyRotation
    from application.leads.commands import CaptureLead
    from application.ports import CommandContext
    from domain.privacy import keyring_id
    from entrypoints.settings import DEV_KEK

    tenant = provision(client)
    tenant_id = uuid.UUID(tenant.id)
    leads = [capture(tenant, name=f"Rot {n}", email=f"rot{n}@keys.example",
                     notes=f"note {n}").json()["id"] for n in range(20)]
    new_kek = "k2:" + base64.b64encode(os.urandom(32)).decode()
    service = _container_with(owner_url, f"{new_kek},{DEV_KEK}")  # k2 active, old kept
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_writing_and_reading() -> None:
        n = 0
        ctx = CommandContext(tenant_id, "load")
        while not stop.is_set():
            n += 1
            try:
                service.bus().execute(CaptureLead(
                    name=f"Load {n}", email=f"load{n}@keys.example", phone=None,
                    source="web", notes=f"load note {n}"), ctx)
                history = service.event_store().of(tenant_id, uuid.UUID(leads[n % 20]))
                assert history[0].data["notes"] == f"note {n % 20}"
            except BaseException as error:
                errors.append(error)
                return

    load = threading.Thread(target=keep_writing_and_reading)
    load.start()
    try:
        report = rotate_data_keys(service.worker_pool(), service.keks(), batch=5,
                                  tenant_id=tenant_id)
        again = rotate_data_keys(service.worker_pool(), service.keks(), tenant_id=tenant_id)
    finally:
        stop.set()
        load.join()
    assert errors == []
    assert report.keys >= 20 and report.from_keks == {"dev"} and report.to_kek == "k2"
    assert again.remaining == 0
    service.bus().execute(RecordKeyRotation(sorted(report.from_keks), "k2", report.keys),
                          CommandContext(tenant_id, "cli:keys-rotate"))
    audit = container.event_store().of(tenant_id, keyring_id(tenant_id))
    assert [e.type for e in audit] == ["KeyRingStarted", "DataKeysRewrapped"]
    assert audit[1].data["keys"] == report.keys and audit[1].data["to_kek"] == "k2"

    only_new = _container_with(owner_url, new_kek)  # the old KEK is gone
    for n, lead_id in enumerate(leads):
        history = only_new.event_store().of(tenant_id, uuid.UUID(lead_id))
        assert history[0].data["notes"] == f"note {n}"

    # Rotate back, so the other processes of this test session (configured with the dev KEK
    # only) can still read this tenant: every process must hold every KEK still in use.
    back = _container_with(owner_url, f"{DEV_KEK},{new_kek}")
    assert rotate_data_keys(back.worker_pool(), back.keks(), tenant_id=tenant_id).keys > 20
    only_dev = _container_with(owner_url, DEV_KEK)
    assert only_dev.event_store().of(tenant_id, uuid.UUID(leads[0]))[0].data["notes"] == "note 0"
    for built in (service, only_new):
        built.datastore().close()
        built.worker_pool().close()


# -- memories of conversations, and what AI replies draw on -----------------------------------

def test_ai_replies_draw_on_knowledge_and_this_contacts_memories_only(
        tenant: TenantSession) -> None:
    added = tenant.post("/v1/knowledge", json={
        "title": "Whitening", "text": "Teeth whitening costs 300 EUR and takes one hour."})
    assert added.status_code == 201
    mia = capture(tenant, name="Mia Memory", email=f"{marker()}@mia.example",
                  notes="Mia is allergic to latex gloves").json()
    capture(tenant, name="Otto Other", email=f"{marker()}@otto.example",
            notes="Otto is allergic to latex and penicillin")
    started = tenant.post("/v1/conversations", json={"contact_id": mia["contact_id"],
                                                     "channel": "webchat"})
    assert started.status_code == 201, started.text
    conversation = started.json()["id"]
    said = tenant.post(f"/v1/conversations/{conversation}/messages", json={
        "author": "customer", "body": "Is teeth whitening safe with my latex allergy?"})
    assert said.status_code == 200
    reply = tenant.post(f"/v1/conversations/{conversation}/ai-reply",
                        headers={"X-Frontdesk-Min-Position": said.headers["x-frontdesk-position"]})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["passages"] and body["passages"][0].startswith(added.json()["id"])
    assert body["memory_ids"], "the contact's own memories were not used"
    # every memory used is Mia's: her memories, found by the same words, include them all
    mine = tenant.read(f"/v1/contacts/{mia['contact_id']}/memories",
                       reply.headers["x-frontdesk-position"],
                       params={"query": "latex allergy whitening", "limit": 50}).json()["items"]
    assert set(body["memory_ids"]) <= {m["id"] for m in mine}
    kinds = {m["kind"] for m in mine}
    assert {"note", "message_in"} <= kinds  # the lead note and her chat message
    assert "message_out" in kinds  # and what the assistant answered her
    assert all("Otto" not in m["text"] for m in mine)


def test_knowledge_and_a_contact_searched_in_one_round_trip_rank_as_separate_searches(
        tenant: TenantSession, container: Any) -> None:
    """MemorySearch.search_many (what an AI reply retrieves with): one statement for the
    knowledge base and the contact's memories, each answered as its own search would be."""
    from application.memories import SearchRequest

    added = tenant.post("/v1/knowledge", json={
        "title": "Gloves", "text": "Our gloves are latex free. Whitening costs 300 EUR."})
    assert added.status_code == 201
    mia = capture(tenant, name="Mia Memory", email=f"{marker()}@mia.example",
                  notes="Mia is allergic to latex gloves").json()
    otto = capture(tenant, name="Otto Other", email=f"{marker()}@otto.example",
                   notes="Otto is allergic to latex and penicillin")
    tenant.read(f"/v1/contacts/{mia['contact_id']}/memories", otto.headers["x-frontdesk-position"],
                params={"query": "latex"})
    search, tenant_id, mia_id = container.knowledge.memory_search(), uuid.UUID(tenant.id), \
        uuid.UUID(mia["contact_id"])
    query = "Is Mia safe with latex gloves?"  # a name: the entity branch is searched too
    both = search.search_many(tenant_id, query, [SearchRequest("knowledge", None, 4),
                                                 SearchRequest("contact", mia_id, 3)])
    alone = [search.search(tenant_id, query, contact_id=None, limit=4, scope="knowledge"),
             search.search(tenant_id, query, contact_id=mia_id, limit=3)]
    assert [[(h.memory.id, round(h.score, 6)) for h in r.hits] for r in both] == \
        [[(h.memory.id, round(h.score, 6)) for h in r.hits] for r in alone]
    knowledge, memories = both
    assert knowledge.hits and all(h.memory.contact_id is None for h in knowledge.hits)
    assert memories.hits and all(h.memory.contact_id == mia_id for h in memories.hits)
    assert any(h.entity_boost > 0 for h in memories.hits)  # found by the name as well


def test_export_holds_conversations_cases_tasks_memories_and_audit_of_this_tenant_only(
        container: Any, tenant: TenantSession, other_tenant: TenantSession) -> None:
    from tests.support_cases import accepted_case_at

    mark, foreign = marker(), marker()
    for session, word in ((tenant, mark), (other_tenant, foreign)):
        email = f"{word}@export.example"
        case_id, _ = accepted_case_at(session, container, email=email)
        lead = capture(session, email=email, notes=f"memory {word}").json()
        contact = lead["contact_id"]
        conversation = session.post("/v1/conversations", json={
            "contact_id": contact, "channel": "webchat", "subject": "Export"}).json()["id"]
        said = session.post(f"/v1/conversations/{conversation}/messages",
                            json={"author": "customer", "body": f"message {word}"})
        assert said.status_code == 200, said.text
        paid = session.post(f"/v1/cases/{case_id}/payments", json={
            "amount": 1000, "currency": "EUR", "method": "cash"})
        assert paid.status_code == 201, paid.text
        refunded = session.post(f"/v1/cases/{case_id}/refunds", json={
            "payment_id": paid.json()["payment_id"], "amount": 400, "reason": f"refund {word}"})
        assert refunded.status_code == 201, refunded.text
        queue = session.post("/v1/queues", json={
            "name": f"q {word}", "target_answer_seconds": 30, "target_percentage": 80,
            "max_hold_seconds": 600}).json()["id"]
        task = session.post(f"/v1/queues/{queue}/tasks", json={
            "channel": "voice", "contact_id": contact, "title": f"task {word}"})
        assert task.status_code == 201, task.text
        if session is tenant:
            mine = (contact, conversation, case_id, task.json()["id"],
                    task.headers["x-frontdesk-position"])
    contact, conversation, case_id, task_id, position = mine
    export = tenant.read(f"/v1/contacts/{contact}/export", position,
                         headers={"User-Agent": "dpo-tool/1.0"})
    assert export.status_code == 200, export.text
    text, document = export.text, export.json()
    assert [c["conversation"]["id"] for c in document["conversations"]] == [conversation]
    assert [m["body"] for m in document["conversations"][0]["conversation"]["messages"]] == [
        f"message {mark}"]
    (case,) = document["cases"]
    assert case["case"]["id"] == case_id and case["case"]["totals"]["refunded"] == 400
    refund = [e for e in case["events"] if e["type"] == "PaymentRefunded"]
    assert refund and refund[0]["data"]["reason"] == f"refund {mark}"
    assert [t["task"]["id"] for t in document["tasks"]] == [task_id]
    assert document["tasks"][0]["task"]["title"] == f"task {mark}"
    assert f"memory {mark}" in [m["text"] for m in document["memories"]]
    audited = {(e["action"], e["resource_id"]) for e in document["audit"]}
    assert ("ConversationStarted", conversation) in audited
    assert ("PaymentRefunded", case_id) in audited
    assert foreign not in text  # never another tenant's data
    # the export itself is audited with where it came from
    trail = tenant.get("/v1/audit", params={"action": "contact.exported"}).json()["items"]
    assert trail[0]["resource_id"] == contact and trail[0]["user_agent"] == "dpo-tool/1.0"
    assert trail[0]["ip"] and trail[0]["actor"].startswith("user:")


def test_reads_of_personal_data_provisioning_and_settings_changes_are_audited(
        client: Any, tenant: TenantSession) -> None:
    captured = capture(tenant, email=f"{marker()}@audit.example")
    lead, position = captured.json(), captured.headers["x-frontdesk-position"]
    contact, agent = lead["contact_id"], {"User-Agent": "audit-test/2"}
    assert tenant.read(f"/v1/contacts/{contact}", position, headers=agent).status_code == 200
    assert tenant.get(f"/v1/contacts/{contact}/events", headers=agent).status_code == 200
    assert tenant.get(f"/v1/leads/{lead['id']}/events", headers=agent).status_code == 200
    current = tenant.get("/v1/assistant/settings").json()
    changed = tenant.client.put("/v1/assistant/settings", json=current,
                                headers={**tenant.headers, **agent})
    assert changed.status_code == 200, changed.text
    entries = tenant.get("/v1/audit", params={"limit": 200}).json()["items"]
    seen = {(e["action"], e["resource_id"]): e for e in entries if e["source"] == "auth"}
    for key in (("contact.viewed", contact), ("contact.events_read", contact),
                ("lead.events_read", lead["id"]),
                ("assistant_settings.changed", tenant.id)):
        assert key in seen, key
        assert seen[key]["user_agent"] == "audit-test/2" and seen[key]["ip"]
        assert seen[key]["actor"].startswith("user:")
    provisioned = seen[("tenant.provisioned", tenant.id)]
    assert provisioned["actor"] == "admin_token" and provisioned["ip"]
