"""Contacts: register, read, change details and consent, erase (GDPR art. 17), event history."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromQuery, JSONBody

from application.contacts import (
    ChangeContactConsent,
    ChangeContactDetails,
    ContactQueries,
    ContactSnapshot,
    RegisterContact,
)
from application.contacts.erasure import EraseContact, ErasureReceipt
from application.ports import StoredResponse
from domain.shared import NotFound
from entrypoints.http.commands import execute, if_match, stored, wait_for_own_writes
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Provided, Reads, Req
from entrypoints.http.leads.schemas import (
    ConsentIn,
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactPatch,
    ErasureReceiptOut,
)
from entrypoints.http.schemas import EventsOut
from entrypoints.http.security import ALL_ROLES, SUPERVISORS, WRITERS, roles

READ_MODELS = ("contacts",)
Contacts = Provided[ContactQueries]


def _render(status: int) -> Any:
    def render(snapshot: ContactSnapshot) -> StoredResponse:
        return stored(status, ContactOut.of(snapshot),
                      {"ETag": f'"{snapshot.version}"',
                       "Location": f"/v1/contacts/{snapshot.id}"})
    return render


class ContactsController(Controller):
    path = "/v1/contacts"
    tags = ["contacts"]
    opt = roles(*WRITERS)

    @post("/", status_code=201, sync_to_thread=True, summary="Register a contact",
          description="An email or a phone is required; emails are lower-cased, phones stored "
                      "as E.164. 409 with `existing_id` when a contact already has that email "
                      "or phone.")
    def register(self, request: Req, data: JSONBody[ContactCreate],
                 bus: Bus) -> Response[ContactOut]:
        command = RegisterContact(name=data.name, email=data.email, phone=data.phone,
                                  region=data.region)
        return execute(request, bus, command,  # type: ignore[return-value]
                       _render(201), body=data)

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List contacts",
         description="Newest first, cursor-paginated.")
    def page(self, request: Req, contacts: Contacts,
             reads: Reads, email: FromQuery[str | None] = None, phone: FromQuery[str | None] = None,
             limit: Limit = 50, cursor: Cursor = None,
             ) -> Response[ContactPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        page = contacts.page(request.user.tenant_id, email=email, phone=phone,
                                     limit=limit, cursor=cursor)
        return Response(ContactPage(items=[ContactOut.of(v) for v in page.items],
                                    next_cursor=page.next_cursor), headers=headers)

    @get("/{contact_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="Get a contact", description="Audited (`contact.viewed`, with the IP and "
                                               "user agent).")
    def get_one(self, request: Req, contact_id: Id,
                contacts: Contacts, reads: Reads) -> Response[ContactOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = contacts.get(request.user.tenant_id, contact_id)
        if view is None:
            raise NotFound("contact not found")
        reads.audit(request, "contact.viewed", "contact", contact_id)
        return Response(ContactOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @patch("/{contact_id:uuid}", sync_to_thread=True,
           summary="Change a contact's name, email or phone",
           description="Accepts `If-Match: <version>`; a stale version is a 409.")
    def change_details(self, request: Req, contact_id: Id,
                       data: JSONBody[ContactPatch], bus: Bus) -> Response[ContactOut]:
        command = ChangeContactDetails(contact_id=contact_id, expected_version=if_match(request),
                                       name=data.name, email=data.email, phone=data.phone,
                                       region=data.region)
        return execute(request, bus, command,  # type: ignore[return-value]
                       _render(200), body=data)

    @post("/{contact_id:uuid}/consent", status_code=200, sync_to_thread=True,
          summary="Record an opt-in or opt-out")
    def change_consent(self, request: Req, contact_id: Id,
                       data: JSONBody[ConsentIn], bus: Bus) -> Response[ContactOut]:
        command = ChangeContactConsent(contact_id=contact_id, expected_version=if_match(request),
                                       channel=data.channel, granted=data.granted,
                                       reason=data.reason)
        return execute(request, bus, command,  # type: ignore[return-value]
                       _render(200), body=data)

    @delete("/{contact_id:uuid}", status_code=202, sync_to_thread=True,
            opt=roles(*SUPERVISORS), summary="Erase a contact (GDPR art. 17)",
            description="Crypto-shredding: records ContactErased and destroys the person's data "
                        "key in one commit, so every personal field ever recorded for them "
                        "reads `[erased]`; the events, ids and amounts stay and every rebuild "
                        "still works. Read models then purge the person's rows, and their "
                        "tables are rewritten. Answers 202 with a receipt; asking again "
                        "answers again.")
    def erase(self, request: Req, contact_id: Id, bus: Bus,
              reason: FromQuery[str | None] = None) -> Response[ErasureReceiptOut]:
        command = EraseContact(contact_id, reason or "data subject request (GDPR art. 17)")

        def render(receipt: ErasureReceipt) -> StoredResponse:
            return stored(202, ErasureReceiptOut(
                contact_id=receipt.contact_id, erased_at=receipt.erased_at,
                requested_by=receipt.requested_by, already_erased=receipt.already_erased,
                read_models_purged=list(receipt.read_models)))

        return execute(request, bus, command, render,  # type: ignore[return-value]
                       body=str(contact_id).encode())

    @get("/{contact_id:uuid}/events", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="A contact's event history",
         description="Every event of the contact, oldest first, read from the event store; "
                     "personal fields of an erased contact read `[erased]`. Audited "
                     "(`contact.events_read`).")
    def events(self, request: Req, contact_id: Id, reads: Reads) -> EventsOut:
        entries = reads.history_of(request, contact_id, "ContactRegistered",
                                   "contact")
        return EventsOut.of(entries)
