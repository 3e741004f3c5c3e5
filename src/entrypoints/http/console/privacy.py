"""Privacy for owners and admins: find a contact, download their access export (GDPR art. 15)
and erase them (art. 17) after a confirmation step, with the receipt shown.

The same query services and commands as the API (GET /v1/contacts/{id}/export,
DELETE /v1/contacts/{id}), with its roles (admins and supervisors) and its audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Template

from application.contacts import ContactQueries, ContactView
from application.contacts.erasure import PURGED_READ_MODELS, EraseContact
from application.contacts.export import ContactExport
from domain.shared import NotFound
from entrypoints.http.commands import context
from entrypoints.http.console.pages import PAGE_ERRORS, attempt, page
from entrypoints.http.deps import Bus, Id, Provided, Reads, ReadSide, Req
from entrypoints.http.security import CONSOLE, SUPERVISORS, roles

Contacts = Provided[ContactQueries]
FOUND = 20
REASON = "data subject request (GDPR art. 17)"


@dataclass
class EraseForm:
    confirm: str = ""
    reason: str = ""


def _contact(request: Req, contacts: ContactQueries, reads: ReadSide,
             contact_id: Id) -> ContactView:
    """The contact, read as the API reads one: audited (``contact.viewed``)."""
    found = contacts.get(request.user.tenant_id, contact_id)
    if found is None:
        raise NotFound("contact not found")
    reads.audit(request, "contact.viewed", "contact", contact_id)
    return found


class PrivacyController(Controller):
    path = f"{CONSOLE}/privacy"
    opt = roles(*SUPERVISORS)
    include_in_schema = False
    exception_handlers = PAGE_ERRORS

    @get("/", sync_to_thread=True)
    def search(self, request: Req, contacts: Contacts, email: FromQuery[str | None] = None,
               phone: FromQuery[str | None] = None) -> Template:
        email, phone = (email or "").strip() or None, (phone or "").strip() or None
        found = None
        if email or phone:
            found = contacts.page(request.user.tenant_id, email=email, phone=phone,
                                  limit=FOUND, cursor=None).items
        return page("privacy.html", request, section="privacy", email=email, phone=phone,
                    found=found)

    @get("/{contact_id:uuid}", sync_to_thread=True)
    def contact(self, request: Req, contact_id: Id, contacts: Contacts,
                reads: Reads) -> Template:
        return page("privacy_contact.html", request, section="privacy",
                    contact=_contact(request, contacts, reads, contact_id), reason=REASON)

    @get("/{contact_id:uuid}/export", sync_to_thread=True)
    def export(self, request: Req, contact_id: Id, export: Provided[ContactExport],
               reads: Reads) -> Response[bytes]:
        document = export.export(request.user.tenant_id, contact_id)
        reads.audit(request, "contact.exported", "contact", contact_id)
        return Response(content=msgspec.json.encode(document, enc_hook=str),  # as the API
                        media_type="application/json",
                        headers={"Content-Disposition":
                                 f'attachment; filename="contact-{contact_id}.json"'})

    @get("/{contact_id:uuid}/erase", sync_to_thread=True)
    def confirm(self, request: Req, contact_id: Id, contacts: Contacts,
                reads: Reads) -> Template:
        return page("privacy_erase.html", request, section="privacy",
                    contact=_contact(request, contacts, reads, contact_id), reason=REASON)

    @post("/{contact_id:uuid}/erase", sync_to_thread=True, status_code=200)
    def erase(self, request: Req, contact_id: Id, data: Annotated[EraseForm, Body(
              media_type=RequestEncodingType.URL_ENCODED)], contacts: Contacts, bus: Bus,
              reads: Reads) -> Template:
        if data.confirm != "erase":
            return page("privacy_erase.html", request, 422, section="privacy",
                        contact=_contact(request, contacts, reads, contact_id),
                        reason=data.reason or REASON,
                        error="Tick the box to confirm: the erasure cannot be undone.")
        if contacts.get(request.user.tenant_id, contact_id) is None:
            raise NotFound("contact not found")  # the same 404 page as the confirmation's
        done = attempt(bus, EraseContact(contact_id, data.reason.strip() or REASON),
                       context(request), reads, PURGED_READ_MODELS)
        if done.error is not None:
            return page("error.html", request, 409, title="Not erased", detail=done.error)
        return page("privacy_receipt.html", request, section="privacy",
                    receipt=done.result)
