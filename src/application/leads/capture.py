"""CaptureLead: attach the enquiry to its contact (found by email or phone) or register one."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.contacts.addresses import parse_reachability, reachability_claims
from application.leads.commands import CaptureLead
from application.leads.views import LeadView
from application.ports import CommandContext, UnitOfWork
from domain.contacts import Contact
from domain.leads import DuplicateLead, Lead
from domain.ports import PhoneNormaliser
from domain.shared import InvalidValue, Slug
from domain.shared.ids import new_id


@dataclass(frozen=True, slots=True)
class CapturedLead:
    lead: LeadView
    contact_created: bool


class CaptureLeadHandler:
    def __init__(self, phones: PhoneNormaliser) -> None:
        self._phones = phones

    def __call__(self, command: CaptureLead, uow: UnitOfWork,
                 ctx: CommandContext) -> CapturedLead:
        return capture_into(uow, ctx, command, self._phones)


def capture_into(uow: UnitOfWork, ctx: CommandContext, command: CaptureLead,
                 phones: PhoneNormaliser) -> CapturedLead:
    """Stage a captured lead (and its new contact, if any) in ``uow``; shared with CSV import.

    Rules: an email or phone is required; an existing contact with the same email (first) or
    phone is reused; an open lead of that contact from the same source is a duplicate.
    """
    email, phone = parse_reachability(phones, command.email, command.phone, command.region)
    if email is None and phone is None:
        raise InvalidValue("email", "a lead needs an email or a phone number")
    source = Slug(command.source, "source")
    campaign = Slug(command.campaign, "campaign") if command.campaign else None
    channel = Slug(command.channel, "channel")
    now = ctx.now

    owners = {claim.scope: owner
              for claim, owner in uow.owners_of(reachability_claims(email, phone)).items()}
    existing_id: UUID | None = owners.get("contact_email") or owners.get("contact_phone")
    if existing_id is None:
        contact = Contact.register(contact_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor,
                                   at=now, name=command.name, email=email, phone=phone)
        uow.add(contact)
    else:
        contact = uow.get(Contact, existing_id)
        duplicate = uow.owners_of([Lead.open_lead_claim(contact.id, source)])
        if duplicate:
            raise DuplicateLead(next(iter(duplicate.values())))
    lead = Lead.capture(lead_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor, at=now,
                        contact_id=contact.id, source=source, campaign=campaign,
                        channel=channel, notes=command.notes)
    uow.add(lead)
    view = LeadView.of(lead, name=contact.name, email=contact.email, phone=contact.phone)
    return CapturedLead(lead=view, contact_created=existing_id is None)
