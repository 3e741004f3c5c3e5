"""Who can be written to, on which channel, and who acts: rules every conversation handler
applies before the aggregate is asked."""

from __future__ import annotations

from uuid import UUID

from application.ports import CommandContext
from domain.contacts import Contact
from domain.conversations import Channel
from domain.conversations.errors import OptedOut
from domain.shared import InvalidValue, RuleViolated

CONSENT_CHANNEL = {Channel.SMS: "sms", Channel.WHATSAPP: "whatsapp", Channel.EMAIL: "email",
                   Channel.VOICE: "voice"}


def agent_of(ctx: CommandContext) -> UUID:
    """The acting user's id (actors are ``user:<uuid>``)."""
    kind, _, raw = ctx.actor.partition(":")
    try:
        return UUID(raw)
    except ValueError:
        raise InvalidValue("actor", f"a {kind or 'caller'} is not a user who can take "
                                    "conversations") from None


def address_on(contact: Contact, channel: Channel) -> str | None:
    if channel is Channel.EMAIL:
        return contact.email
    if channel is Channel.WEBCHAT:
        return None
    return contact.phone


def must_be_reachable(contact: Contact, channel: Channel) -> None:
    """STOP means stop: nothing is written to a contact who opted out of the channel."""
    consent = CONSENT_CHANNEL.get(channel)
    if contact.erased:
        raise RuleViolated("the contact was erased")
    if consent is not None and contact.consents.get(consent) is False:
        raise OptedOut(consent)
