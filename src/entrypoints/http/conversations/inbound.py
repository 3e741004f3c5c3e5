"""Webhooks: Twilio (messages, delivery status, voice status) and inbound email. Each verifies
its signature before anything is read or stored (bad or missing: 403). Twilio's is checked
before the tenant is looked up by the slug in the path; email's after, because the tenant may
have a secret of its own, and it covers the slug and a fresh timestamp (ADR 0082). Twilio
signatures are computed on FRONTDESK_PUBLIC_URL + path + query (the URL Twilio was given), so
validation works behind a proxy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID

from litestar import Controller, Response, post
from litestar.params import FromPath, RawBody
from twilio.request_validator import RequestValidator

from adapters.messaging.email_signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TOLERANCE_SECONDS,
    signature_valid,
    timestamp_fresh,
)
from adapters.messaging.inbound_email import parse_email
from adapters.messaging.twilio_sms import delivery_of
from application.conversations.commands import ReceiveInbound, RecordCall, RecordDelivery
from application.conversations.inbound import Received
from application.identity import TenantDirectory, TenantRecord
from application.identity.email_secrets import EmailSecretAdministration
from application.ports import CommandContext
from domain.ports import Clock
from domain.shared import InvalidValue, NotFound
from entrypoints.http.commands import POSITION_HEADER
from entrypoints.http.conversations.schemas import InboundOut
from entrypoints.http.deps import Bus, Provided, Req

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SIGNATURE_NOTE = ("Public (no bearer token): the request must carry a valid {header}; a bad or "
                  "missing one is a 403 and nothing is stored. Roles: none (signed by the "
                  "vendor).")
Slug = FromPath[str]


@dataclass(frozen=True)
class InboundSecrets:
    """What the signatures are checked with; a channel without its secret is disabled. The
    email secret is the tenant's own, else the service-wide one (``email_secrets``)."""

    twilio_auth_token: str | None
    email_secrets: EmailSecretAdministration
    public_url: str | None
    clock: Clock


Secrets = Provided[InboundSecrets]
Tenants = Provided[TenantDirectory]


class ChannelDisabled(Exception):
    """The channel's secret is not configured (HTTP 503 ``<channel>-disabled``)."""

    def __init__(self, channel: str, detail: str) -> None:
        super().__init__(detail)
        self.channel, self.detail = channel, detail


class BadSignature(Exception):
    """The vendor's signature is missing or invalid (HTTP 403): nothing is read or stored."""

    def __init__(self, header: str, why: str = "is missing or invalid") -> None:
        super().__init__(f"the {header} {why}")


def _twiml(outcome: Any = None) -> Response[str]:
    """Empty TwiML; the position header lets a caller read its own write (ADR 0005)."""
    position = getattr(outcome, "position", None)
    headers = {POSITION_HEADER: position} if position else None
    return Response(TWIML_EMPTY, media_type="text/xml", status_code=200, headers=headers)


def _signed_url(request: Req, public_url: str | None) -> str:
    base = (public_url or str(request.base_url)).rstrip("/")
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


def _tenant(tenants: TenantDirectory, slug: str) -> TenantRecord:
    tenant = tenants.by_slug(slug)
    if tenant is None:
        raise NotFound("no such tenant")
    return tenant


def _twilio_form(request: Req, secrets: InboundSecrets, body: bytes) -> dict[str, str]:
    """The form fields, once the X-Twilio-Signature is found valid."""
    if not secrets.twilio_auth_token:
        raise ChannelDisabled("twilio", "Twilio is not configured (TWILIO_AUTH_TOKEN)")
    signature = request.headers.get("x-twilio-signature")
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        form = {}
    validator = RequestValidator(secrets.twilio_auth_token)
    if not signature or not validator.validate(_signed_url(request, secrets.public_url), form,
                                               signature):
        raise BadSignature("X-Twilio-Signature")
    return form


def _int(value: str | None, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidValue(field, "must be a whole number") from None


class WebhooksController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]
    opt = {"public": True}

    @post("/twilio/{tenant_slug:str}/messages", status_code=200, sync_to_thread=True,
          security=[], summary="Twilio: an inbound SMS/WhatsApp message or a delivery status",
          description="An inbound message (`From`, `To`, `Body`, `MessageSid`) continues the "
                      "sender's open conversation on that channel or starts one (a new number "
                      "becomes a contact and a lead). A `MessageSid` already recorded is "
                      "ignored. `STOP`/`START` change the contact's consent. A status callback "
                      "(`MessageStatus`, with `frontdesk_conversation` and `frontdesk_message` "
                      "in the URL) updates the message's delivery. Answers empty TwiML. "
                      + SIGNATURE_NOTE.format(header="X-Twilio-Signature"))
    def twilio_messages(self, request: Req, tenant_slug: Slug,
                        body: RawBody, secrets: Secrets, tenants: Tenants,
                        bus: Bus) -> Response[Any]:
        form = _twilio_form(request, secrets, body)
        tenant = _tenant(tenants, tenant_slug)
        ctx = CommandContext(tenant_id=tenant.id, actor="webhook:twilio")
        conversation = request.query_params.get("frontdesk_conversation")
        message = request.query_params.get("frontdesk_message")
        if conversation and message:
            status = delivery_of(form.get("MessageStatus") or form.get("SmsStatus"))
            if status is not None:
                try:
                    command = RecordDelivery(UUID(conversation), UUID(message), status.value,
                                             form.get("MessageSid") or None,
                                             form.get("ErrorCode") or None)
                except ValueError:
                    raise InvalidValue("frontdesk_message", "is not an id") from None
                return _twiml(bus.execute(command, ctx))
            return _twiml()
        sender = form.get("From", "")
        if not sender or not form.get("MessageSid"):
            raise InvalidValue("From", "an inbound message needs From and MessageSid")
        media = tuple(form[f"MediaUrl{n}"] for n in range(_int(form.get("NumMedia"), "NumMedia")
                                                          or 0) if form.get(f"MediaUrl{n}"))
        return _twiml(bus.execute(ReceiveInbound(
            channel="whatsapp" if sender.startswith("whatsapp:") else "sms", sender=sender,
            recipient=form.get("To") or None, body=form.get("Body", ""),
            external_id=form["MessageSid"], media_urls=media[:10]), ctx))

    @post("/twilio/{tenant_slug:str}/voice-status", status_code=200, sync_to_thread=True,
          security=[], summary="Twilio: a voice call status or recording callback",
          description="Records the call (`CallSid`, `CallStatus`, `CallDuration`, "
                      "`RecordingUrl`) on the caller's voice conversation: answered, duration, "
                      "recording. A repeated status is ignored. "
                      + SIGNATURE_NOTE.format(header="X-Twilio-Signature"))
    def twilio_voice(self, request: Req, tenant_slug: Slug, body: RawBody,
                     secrets: Secrets, tenants: Tenants, bus: Bus) -> Response[Any]:
        form = _twilio_form(request, secrets, body)
        tenant = _tenant(tenants, tenant_slug)
        if not form.get("CallSid"):
            raise InvalidValue("CallSid", "is required")
        direction = form.get("Direction") or "inbound"
        inbound = direction == "inbound"
        customer = form.get("From" if inbound else "To", "")
        if not customer:
            raise InvalidValue("From", "the caller's number is required")
        status = form.get("CallStatus") or ("completed" if form.get("RecordingUrl") else "")
        if not status:
            raise InvalidValue("CallStatus", "is required")
        return _twiml(bus.execute(RecordCall(
            call_sid=form["CallSid"], status=status.lower(), customer=customer,
            ours=form.get("To" if inbound else "From") or None, direction=direction,
            duration_seconds=_int(form.get("CallDuration"), "CallDuration"),
            recording_url=form.get("RecordingUrl") or None),
            CommandContext(tenant_id=tenant.id, actor="webhook:twilio")))

    @post("/email/{tenant_slug:str}", status_code=202, sync_to_thread=True, security=[],
          summary="Inbound email (raw MIME)",
          description="The raw message (`Content-Type: message/rfc822`). Threads by "
                      "`In-Reply-To`/`References` to the conversation that sent or received "
                      "those messages, else the sender's open email conversation; a new sender "
                      "becomes a contact and a lead with source `email`. A `Message-ID` "
                      "already recorded is ignored. Signed with `X-Frontdesk-Timestamp: "
                      "<Unix seconds>` and `X-Frontdesk-Signature: sha256=<hex HMAC-SHA256 of "
                      "'<timestamp>.<tenant_slug>.' + the body>`, keyed by the tenant's own "
                      "secret (`POST /v1/inbound-email-secret`) or else "
                      "FRONTDESK_EMAIL_WEBHOOK_SECRET; a timestamp more than 300 s from the "
                      "server's clock, or a signature made for another tenant, is a 403. "
                      + SIGNATURE_NOTE.format(header="X-Frontdesk-Signature"))
    def email(self, request: Req, tenant_slug: Slug, body: RawBody,
              secrets: Secrets, tenants: Tenants, bus: Bus) -> Response[Any]:
        found = tenants.by_slug(tenant_slug)
        secret = secrets.email_secrets.verifying_secret(found.id if found else None)
        if not secret:
            raise ChannelDisabled("email", "inbound email is not configured "
                                           "(FRONTDESK_EMAIL_WEBHOOK_SECRET)")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not timestamp_fresh(timestamp, secrets.clock.now().timestamp()):
            raise BadSignature(TIMESTAMP_HEADER, "is missing, not Unix seconds, or more than "
                                                 f"{TOLERANCE_SECONDS} s from the server's clock")
        if not signature_valid(secret, timestamp, tenant_slug, body,
                               request.headers.get(SIGNATURE_HEADER, "")):
            raise BadSignature(SIGNATURE_HEADER)
        if found is None:  # signed with the service-wide secret for a slug nobody has
            raise NotFound("no such tenant")
        tenant = found
        parsed = parse_email(body)
        outcome = bus.execute(ReceiveInbound(
            channel="email", sender=parsed.sender, recipient=parsed.recipient,
            body=parsed.text, external_id=parsed.message_id, sender_name=parsed.sender_name,
            subject=parsed.subject, thread_ids=parsed.thread_ids),
            CommandContext(tenant_id=tenant.id, actor="webhook:email"))
        received: Received = outcome.result  # type: ignore[union-attr]
        return Response(InboundOut(
            conversation_id=received.conversation_id, duplicate=received.duplicate,
            conversation_started=received.conversation_started,
            contact_created=received.contact_created, status=received.status),
            status_code=202, headers={POSITION_HEADER: getattr(outcome, "position", "0")})
