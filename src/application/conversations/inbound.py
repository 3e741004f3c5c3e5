"""What arrives from vendors: a customer's message (Twilio SMS/WhatsApp, inbound email) and
voice status callbacks. The sender is found by phone or email, or becomes a contact with a lead;
the message continues the contact's open conversation on that channel (email: the thread named
by In-Reply-To/References), or starts one. STOP and START change the contact's consent.

Every lookup here is a claim (ADR 0008), so a webhook retry racing its first delivery is decided
by the commit: one of them records the message, the other finds the id taken and ignores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.conversations.commands import ReceiveInbound, RecordCall
from application.conversations.ports import AssistantSettingsSource
from application.conversations.reachability import CONSENT_CHANNEL
from application.leads.capture import capture_into
from application.leads.commands import CaptureLead
from application.ports import CommandContext, UnitOfWork
from domain.contacts import Contact
from domain.conversations import Channel, Conversation, ConversationStatus
from domain.ports import PhoneNormaliser
from domain.shared import Claim, Email, InvalidValue
from domain.shared.ids import new_id

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})


@dataclass(frozen=True, slots=True)
class Received:
    conversation_id: UUID
    contact_id: UUID | None
    message_id: UUID | None
    duplicate: bool = False
    contact_created: bool = False
    conversation_started: bool = False
    consent: str | None = None
    status: str | None = None


class _Inbound:
    def __init__(self, phones: PhoneNormaliser, settings: AssistantSettingsSource) -> None:
        self._phones, self._settings = phones, settings

    def _contact(self, uow: UnitOfWork, ctx: CommandContext, channel: Channel, address: str,
                 name: str | None, notes: str | None) -> tuple[Contact, bool]:
        """The contact with this address, or a new one (with a lead from this channel)."""
        if channel is Channel.EMAIL:
            email, phone = Email(address).value, None
            claim = Claim("contact_email", email)
        else:
            raw = address.removeprefix("whatsapp:").strip()
            phone, email = self._phones.normalise(raw).value, None
            claim = Claim("contact_phone", phone)
        owner = uow.owners_of([claim], verify=True).get(claim)
        if owner is not None:
            return uow.get(Contact, owner), False
        captured = capture_into(uow, ctx, CaptureLead(
            name=name, email=email, phone=phone, source=channel.value, channel=channel.value,
            notes=notes), self._phones)
        return uow.get(Contact, captured.lead.contact_id), True

    def _open_conversation(self, uow: UnitOfWork, contact: Contact,
                           channel: Channel) -> Conversation | None:
        claim = Conversation.open_claim(contact.id, channel)
        owner = uow.owners_of([claim], verify=True).get(claim)
        return uow.get(Conversation, owner) if owner is not None else None


class ReceiveInboundHandler(_Inbound):
    def __call__(self, command: ReceiveInbound, uow: UnitOfWork,
                 ctx: CommandContext) -> Received:
        channel = Channel.parse(command.channel)
        if channel in (Channel.VOICE, Channel.WEBCHAT):
            raise InvalidValue("channel", f"{channel.value} messages do not arrive this way")
        if command.external_id:
            seen = Conversation.external_claim(channel, command.external_id)
            owner = uow.owners_of([seen]).get(seen)
            if owner is not None:
                return Received(conversation_id=owner, contact_id=None, message_id=None,
                                duplicate=True)
        now = ctx.now
        contact, created = self._contact(uow, ctx, channel, command.sender,
                                         command.sender_name, command.subject)
        conversation = self._thread(uow, channel, command.thread_ids) \
            or self._open_conversation(uow, contact, channel)
        started = conversation is None
        if conversation is None:
            conversation = Conversation.start(
                conversation_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor, at=now,
                contact_id=contact.id, channel=channel, subject=command.subject,
                customer_address=command.sender, our_address=command.recipient)
        consent = self._consent(contact, channel, command.body, ctx, now)
        if consent is not None:
            uow.add(contact)
        message_id = new_id()
        recorded = conversation.receive(
            actor=ctx.actor, at=now, message_id=message_id, body=command.body,
            external_id=command.external_id,
            rules=self._settings.for_tenant(ctx.tenant_id).handoff,
            media_urls=command.media_urls)
        if not recorded:  # the conversation has this vendor id already: a retry
            return Received(conversation_id=conversation.id, contact_id=contact.id,
                            message_id=None, duplicate=True)
        uow.add(conversation)
        return Received(conversation_id=conversation.id, contact_id=contact.id,
                        message_id=message_id, contact_created=created,
                        conversation_started=started, consent=consent,
                        status=conversation.status.value)

    @staticmethod
    def _thread(uow: UnitOfWork, channel: Channel,
                thread_ids: tuple[str, ...]) -> Conversation | None:
        """The email conversation this message replies to, unless it was resolved."""
        if channel is not Channel.EMAIL or not thread_ids:
            return None
        claims = [Conversation.external_claim(channel, t) for t in thread_ids[-20:]]
        owners = uow.owners_of(claims, verify=True)
        for claim in reversed(claims):  # the nearest ancestor first
            owner = owners.get(claim)
            if owner is not None:
                conversation = uow.get(Conversation, owner)
                if conversation.status is not ConversationStatus.RESOLVED:
                    return conversation
        return None

    @staticmethod
    def _consent(contact: Contact, channel: Channel, body: str, ctx: CommandContext,
                 now: datetime) -> str | None:
        if channel not in (Channel.SMS, Channel.WHATSAPP):
            return None
        word = body.strip().upper().rstrip(".!")
        consent_channel = CONSENT_CHANNEL[channel]
        if word in OPT_OUT_WORDS:
            changed = contact.change_consent(actor=ctx.actor, at=now,
                                             channel=consent_channel, granted=False,
                                             reason=f"{word} keyword")
            return "opted_out" if changed else None
        if word in OPT_IN_WORDS:
            changed = contact.change_consent(actor=ctx.actor, at=now,
                                             channel=consent_channel, granted=True,
                                             reason=f"{word} keyword")
            return "opted_in" if changed else None
        return None


class RecordCallHandler(_Inbound):
    """A voice status callback lands on the conversation of its call (or the contact's open
    voice conversation, or a new one): answered, duration, recording URL."""

    def __call__(self, command: RecordCall, uow: UnitOfWork, ctx: CommandContext) -> Received:
        now = ctx.now
        claim = Conversation.call_claim(command.call_sid)
        owner = uow.owners_of([claim], verify=True).get(claim)
        contact_id: UUID | None = None
        if owner is not None:
            conversation = uow.get(Conversation, owner)
            started = False
        else:
            contact, _ = self._contact(uow, ctx, Channel.VOICE, command.customer, None,
                                       "phone call")
            contact_id = contact.id
            found = self._open_conversation(uow, contact, Channel.VOICE)
            started = found is None
            conversation = found or Conversation.start(
                conversation_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor, at=now,
                contact_id=contact.id, channel=Channel.VOICE, subject=None,
                customer_address=command.customer, our_address=command.ours)
        recorded = conversation.record_call(
            actor=ctx.actor, at=now, call_sid=command.call_sid, status=command.status,
            direction=command.direction, duration_seconds=command.duration_seconds,
            recording_url=command.recording_url)
        if recorded or started:
            uow.add(conversation)
        return Received(conversation_id=conversation.id,
                        contact_id=contact_id or conversation.contact_id, message_id=None,
                        duplicate=not recorded, conversation_started=started,
                        status=conversation.status.value)
