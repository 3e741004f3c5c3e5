"""The contacts context's command handlers (``command_handlers``): load, call the aggregate,
stage it (the bus commits)."""

from __future__ import annotations

from application.aggregates import load_for_change
from application.bus import Handlers
from application.contacts.addresses import parse_reachability, reachability_claims
from application.contacts.commands import (
    ChangeContactConsent,
    ChangeContactDetails,
    RegisterContact,
)
from application.contacts.erasure import PURGED_READ_MODELS, EraseContact, EraseContactHandler
from application.contacts.keys import RecordKeyRotation, record_key_rotation
from application.contacts.views import ContactSnapshot
from application.ports import CommandContext, UnitOfWork
from domain.contacts import Contact
from domain.ports import PhoneNormaliser
from domain.shared import Conflict
from domain.shared.ids import new_id


class RegisterContactHandler:
    """Register a person; an email or phone already registered is a conflict."""

    def __init__(self, phones: PhoneNormaliser) -> None:
        self._phones = phones

    def __call__(self, command: RegisterContact, uow: UnitOfWork,
                 ctx: CommandContext) -> ContactSnapshot:
        email, phone = parse_reachability(self._phones, command.email, command.phone,
                                          command.region)
        taken = uow.owners_of(reachability_claims(email, phone))
        if taken:
            claim, owner = next(iter(taken.items()))
            field = "email" if claim.scope == "contact_email" else "phone"
            raise Conflict(f"a contact with this {field} already exists",
                           existing_id=str(owner))
        contact = Contact.register(contact_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor,
                                   at=ctx.now, name=command.name, email=email,
                                   phone=phone)
        uow.add(contact)
        return ContactSnapshot.of(contact)


class ChangeContactDetailsHandler:
    def __init__(self, phones: PhoneNormaliser) -> None:
        self._phones = phones

    def __call__(self, command: ChangeContactDetails, uow: UnitOfWork,
                 ctx: CommandContext) -> ContactSnapshot:
        contact = load_for_change(uow, Contact, command.contact_id, command.expected_version)
        email, phone = parse_reachability(self._phones, command.email, command.phone,
                                          command.region)
        for claim, owner in uow.owners_of(reachability_claims(email, phone)).items():
            if owner != contact.id:
                raise Conflict(f"another contact already has this {claim.scope.split('_')[1]}",
                               existing_id=str(owner))
        contact.change_details(actor=ctx.actor, at=ctx.now, name=command.name,
                               email=email, phone=phone)
        uow.add(contact)
        return ContactSnapshot.of(contact)


def change_contact_consent(command: ChangeContactConsent, uow: UnitOfWork,
                           ctx: CommandContext) -> ContactSnapshot:
    contact = load_for_change(uow, Contact, command.contact_id, command.expected_version)
    contact.change_consent(actor=ctx.actor, at=ctx.now, channel=command.channel,
                           granted=command.granted, reason=command.reason)
    uow.add(contact)
    return ContactSnapshot.of(contact)


def command_handlers(phones: PhoneNormaliser,
                     purged_read_models: tuple[str, ...] = PURGED_READ_MODELS) -> Handlers:
    """The contacts context's handlers, privacy's (erasure, key rotation) among them."""
    return {RegisterContact: RegisterContactHandler(phones),
            ChangeContactDetails: ChangeContactDetailsHandler(phones),
            ChangeContactConsent: change_contact_consent,
            EraseContact: EraseContactHandler(purged_read_models),
            RecordKeyRotation: record_key_rotation}
