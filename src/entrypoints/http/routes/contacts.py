"""Contacts: register, read, change details and consent, event history."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromQuery, JSONBody

from application.contacts import (
    ChangeContactConsent,
    ChangeContactDetails,
    ContactSnapshot,
    RegisterContact,
)
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
    EventOut,
    EventsOut,
)
from entrypoints.http.security import ALL_ROLES, WRITERS, Principal, roles, roles_text

READ_MODELS = ("contacts",)


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
