"""Privacy: a contact's access export (GDPR art. 15). Erasure (art. 17) shares its path with
the contact itself, so it is a route of the contacts controller."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec

from application.contacts.export import ContactExport
from entrypoints.http.commands import wait_for_own_writes
from entrypoints.http.deps import Id, Provided, Reads, Req
from entrypoints.http.security import SUPERVISORS, roles

Export = Provided[ContactExport]
READ_MODELS = ("contacts", "lead_pipeline", "conversations", "cases", "supervisor_overview",
               "memories", "audit_log")


def json_bytes(document: Any) -> bytes:
    """Plain data (dataclasses, ids, ISO 8601 times) as JSON."""
    return msgspec.json.encode(document, enc_hook=str)


class PrivacyController(Controller):
    path = "/v1/contacts"
    tags = ["contacts"]
    opt = roles(*SUPERVISORS)

    @get("/{contact_id:uuid}/export", sync_to_thread=True,
         summary="Export everything held about a contact (GDPR art. 15)",
         description="The contact record and every event about them with personal fields "
                     "decrypted; their leads, conversations (messages, calls), cases (quote, "
                     "invoices, payments, refunds) and contact-center tasks, each with its "
                     "events; their memories; and the audit entries about any of these, as "
                     "one JSON document. Audited (`contact.exported`, with the IP and user "
                     "agent). ",
         responses={200: ResponseSpec(data_container=dict[str, Any], media_type=
                                      "application/json", description="The export document "
                                      "(also offered as a download)")})
    def export(self, request: Req, contact_id: Id,
               export: Export, reads: Reads) -> Response[bytes]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        document = export.export(request.user.tenant_id, contact_id)
        reads.audit(request, "contact.exported", "contact", contact_id)
        return Response(content=json_bytes(document), media_type="application/json",
                        headers={**headers, "Content-Disposition":
                                 f'attachment; filename="contact-{contact_id}.json"'})
