"""Contacts: register, read, change details and consent, event history."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody, QueryParameter

from application.contacts import (
    ChangeContactConsent,
    ChangeContactDetails,
    ContactSnapshot,
    RegisterContact,
)
from application.contacts.erasure import EraseContact, ErasureReceipt
from application.ports import StoredResponse
from domain.shared import NotFound
from entrypoints.http.commands import execute, if_match, stored, wait_for_own_writes
from entrypoints.http.deps import Bus, Contacts, Cursor, Id, Limit, Reads
from entrypoints.http.schemas import (
    ConsentIn,
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactPatch,
    EntityOut,
    ErasureReceiptOut,
    EventOut,
    EventsOut,
    MemoryHitOut,
    MemorySearchOut,
)
from entrypoints.http.security import (
    ALL_ROLES,
    SUPERVISORS,
    WRITERS,
    Principal,
    roles,
    roles_text,
)

READ_MODELS = ("contacts",)
QueryText = Annotated[str, QueryParameter(name="query", min_length=1, max_length=500,
                                          description="What to look for, in plain words")]


def json_bytes(document: Any) -> bytes:
    """Plain data (dataclasses, ids, ISO 8601 times) as JSON."""
    return msgspec.json.encode(document, enc_hook=str)


def _render(status: int) -> Any:
    def render(snapshot: ContactSnapshot) -> StoredResponse:
        return stored(status, ContactOut.of(snapshot),
                      {"ETag": f'"{snapshot.version}"',
                       "Location": f"/v1/contacts/{snapshot.id}"})
    return render


class ContactsController(Controller):
    path = "/v1/contacts"
    tags = ["contacts"]

    @post("/", status_code=201, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Register a contact",
          description="An email or a phone is required; emails are lower-cased, phones stored "
                      "as E.164. 409 with `existing_id` when a contact already has that email "
                      "or phone. " + roles_text(WRITERS))
    def register(self, request: Request[Principal, Any, Any], data: JSONBody[ContactCreate],
                 contacts: Contacts, bus: Bus) -> Response[ContactOut]:
        command = RegisterContact(name=data.name, email=data.email, phone=data.phone,
                                  region=data.region)
        return execute(request, bus, contacts.register, command,  # type: ignore[return-value]
                       _render(201), fingerprint_of=data.model_dump_json().encode())

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List contacts",
         description="Newest first, cursor-paginated. " + roles_text(ALL_ROLES))
    def page(self, request: Request[Principal, Any, Any], contacts: Contacts,
             reads: Reads, email: FromQuery[str | None] = None, phone: FromQuery[str | None] = None,
             limit: Limit = 50, cursor: Cursor = None,
             ) -> Response[ContactPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        page = contacts.queries.page(request.user.tenant_id, email=email, phone=phone,
                                     limit=limit, cursor=cursor)
        return Response(ContactPage(items=[ContactOut.of(v) for v in page.items],
                                    next_cursor=page.next_cursor), headers=headers)

    @get("/{contact_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="Get a contact", description=roles_text(ALL_ROLES))
    def get_one(self, request: Request[Principal, Any, Any], contact_id: Id,
                contacts: Contacts, reads: Reads) -> Response[ContactOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = contacts.queries.get(request.user.tenant_id, contact_id)
        if view is None:
            raise NotFound("contact not found")
        return Response(ContactOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @patch("/{contact_id:uuid}", sync_to_thread=True, opt=roles(*WRITERS),
           summary="Change a contact's name, email or phone",
           description="Accepts `If-Match: <version>`; a stale version is a 409. "
                       + roles_text(WRITERS))
    def change_details(self, request: Request[Principal, Any, Any], contact_id: Id,
                       data: JSONBody[ContactPatch], contacts: Contacts,
                       bus: Bus) -> Response[ContactOut]:
        command = ChangeContactDetails(contact_id=contact_id, expected_version=if_match(request),
                                       name=data.name, email=data.email, phone=data.phone,
                                       region=data.region)
        return execute(request, bus, contacts.change_details, command,  # type: ignore[return-value]
                       _render(200), fingerprint_of=data.model_dump_json().encode())

    @post("/{contact_id:uuid}/consent", status_code=200, sync_to_thread=True,
          opt=roles(*WRITERS), summary="Record an opt-in or opt-out",
          description=roles_text(WRITERS))
    def change_consent(self, request: Request[Principal, Any, Any], contact_id: Id,
                       data: JSONBody[ConsentIn], contacts: Contacts,
                       bus: Bus) -> Response[ContactOut]:
        command = ChangeContactConsent(contact_id=contact_id, expected_version=if_match(request),
                                       channel=data.channel, granted=data.granted,
                                       reason=data.reason)
        return execute(request, bus, contacts.change_consent, command,  # type: ignore[return-value]
                       _render(200), fingerprint_of=data.model_dump_json().encode())

    @delete("/{contact_id:uuid}", status_code=202, sync_to_thread=True, opt=roles(*SUPERVISORS),
            summary="Erase a contact (GDPR art. 17)",
            description="Crypto-shredding: records ContactErased and destroys the person's data "
                        "key in one commit, so every personal field ever recorded for them "
                        "reads `[erased]`; the events, ids and amounts stay and every rebuild "
                        "still works. Read models then purge the person's rows, and their "
                        "tables are rewritten. Answers 202 with a receipt; asking again "
                        "answers again. " + roles_text(SUPERVISORS))
    def erase(self, request: Request[Principal, Any, Any], contact_id: Id, contacts: Contacts,
              bus: Bus, reason: FromQuery[str | None] = None) -> Response[ErasureReceiptOut]:
        command = EraseContact(contact_id, reason or "data subject request (GDPR art. 17)")

        def render(receipt: ErasureReceipt) -> StoredResponse:
            return stored(202, ErasureReceiptOut(
                contact_id=receipt.contact_id, erased_at=receipt.erased_at,
                requested_by=receipt.requested_by, already_erased=receipt.already_erased,
                read_models_purged=list(receipt.read_models)))

        return execute(request, bus, contacts.erase, command, render,  # type: ignore[return-value]
                       fingerprint_of=str(contact_id).encode())

    @get("/{contact_id:uuid}/export", sync_to_thread=True, opt=roles(*SUPERVISORS),
         summary="Export everything held about a contact (GDPR art. 15)",
         description="The contact record, every event about them with personal fields "
                     "decrypted, their leads with their events, and their memories, as one "
                     "JSON document. " + roles_text(SUPERVISORS),
         responses={200: ResponseSpec(data_container=dict[str, Any], media_type=
                                      "application/json", description="The export document "
                                      "(also offered as a download)")})
    def export(self, request: Request[Principal, Any, Any], contact_id: Id,
               contacts: Contacts) -> Response[bytes]:
        document = contacts.export.export(request.user.tenant_id, contact_id)
        return Response(content=json_bytes(document), media_type="application/json",
                        headers={"Content-Disposition":
                                 f'attachment; filename="contact-{contact_id}.json"'})

    @get("/{contact_id:uuid}/memories", sync_to_thread=True, opt=roles(*WRITERS),
         summary="Search what is remembered about a contact",
         description="Ranks the contact's memories by `similarity * decay + entity_boost` and "
                     "returns each hit with its score parts: cosine similarity to the query, "
                     "temporal decay (half-life `FRONTDESK_MEMORY_HALF_LIFE_DAYS`), and a boost "
                     "for each email, phone number, date, amount or name of the query that the "
                     "memory also contains. " + roles_text(WRITERS))
    def memories(self, request: Request[Principal, Any, Any], contact_id: Id,
                 contacts: Contacts, reads: Reads, text: QueryText,
                 limit: Annotated[int, QueryParameter(ge=1, le=50)] = 10,
                 ) -> Response[MemorySearchOut]:
        headers = wait_for_own_writes(request, reads.gate, ("contacts", "memories"), reads.timeout)
        if contacts.queries.get(request.user.tenant_id, contact_id) is None:
            raise NotFound("contact not found")
        result = contacts.memories.search(request.user.tenant_id, text, contact_id=contact_id,
                                          limit=limit)
        return Response(MemorySearchOut(
            query=text, model=result.model, latency_ms=round(result.latency_ms, 2),
            entities=[EntityOut(kind=e.kind, value=e.value) for e in result.entities],  # type: ignore[arg-type]
            items=[MemoryHitOut(
                id=h.memory.id, kind=h.memory.kind, text=h.memory.text,
                occurred_at=h.memory.occurred_at,
                source={"aggregate_id": str(h.memory.source_aggregate_id),
                        "version": h.memory.source_version},
                score=round(h.score, 6), similarity=round(h.similarity, 6),
                decay=round(h.decay, 6), age_days=round(h.age_days, 3),
                entity_boost=round(h.entity_boost, 6),
                entities_matched=[EntityOut(kind=e.kind, value=e.value)  # type: ignore[arg-type]
                                  for e in h.entities_matched])
                for h in result.hits]), headers=headers)

    @get("/{contact_id:uuid}/events", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="A contact's event history",
         description="Every event of the contact, oldest first, read from the event store; "
                     "personal fields of an erased contact read `[erased]`. "
                     + roles_text(ALL_ROLES))
    def events(self, request: Request[Principal, Any, Any], contact_id: Id,
               reads: Reads) -> EventsOut:
        entries = reads.history.of(request.user.tenant_id, contact_id)
        if not entries or entries[0].type != "ContactRegistered":
            raise NotFound("contact not found")
        return EventsOut(items=[EventOut.of(e) for e in entries])
