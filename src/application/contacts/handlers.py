"""Contact command handlers: load, call the aggregate, stage it (the bus commits)."""

from __future__ import annotations

from application.aggregates import load_for_change
from application.contacts.commands import (
    ChangeContactConsent,
    ChangeContactDetails,
    RegisterContact,
)
from application.contacts.views import ContactSnapshot
from application.ports import CommandContext, UnitOfWork
from domain.contacts import Contact
from domain.ports import Clock, PhoneNormaliser
from domain.shared import Claim, Conflict, Email, PhoneNumber
from domain.shared.ids import new_id


def parse_reachability(phones: PhoneNormaliser, email: str | None, phone: str | None,
                       region: str | None) -> tuple[Email | None, PhoneNumber | None]:
    """Normalise what a client sent: lower-cased email, E.164 phone."""
    parsed_email = Email(email) if email else None
    parsed_phone = phones.normalise(phone, region) if phone else None
    return parsed_email, parsed_phone


def reachability_claims(email: Email | None, phone: PhoneNumber | None) -> list[Claim]:
    claims = []
    if email is not None:
        claims.append(Claim("contact_email", email.value))
    if phone is not None:
        claims.append(Claim("contact_phone", phone.value))
    return claims


class RegisterContactHandler:
    """Register a person; an email or phone already registered is a conflict."""

    def __init__(self, clock: Clock, phones: PhoneNormaliser) -> None:
        self._clock, self._phones = clock, phones

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
                                   at=self._clock.now(), name=command.name, email=email,
                                   phone=phone)
        uow.add(contact)
        return ContactSnapshot.of(contact)


class ChangeContactDetailsHandler:
    def __init__(self, clock: Clock, phones: PhoneNormaliser) -> None:
        self._clock, self._phones = clock, phones

    def __call__(self, command: ChangeContactDetails, uow: UnitOfWork,
                 ctx: CommandContext) -> ContactSnapshot:
        contact = load_for_change(uow, Contact, command.contact_id, command.expected_version)
        email, phone = parse_reachability(self._phones, command.email, command.phone,
                                          command.region)
        for claim, owner in uow.owners_of(reachability_claims(email, phone)).items():
            if owner != contact.id:
                raise Conflict(f"another contact already has this {claim.scope.split('_')[1]}",
                               existing_id=str(owner))
        contact.change_details(actor=ctx.actor, at=self._clock.now(), name=command.name,
                               email=email, phone=phone)
        uow.add(contact)
        return ContactSnapshot.of(contact)


class ChangeContactConsentHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __call__(self, command: ChangeContactConsent, uow: UnitOfWork,
                 ctx: CommandContext) -> ContactSnapshot:
        contact = load_for_change(uow, Contact, command.contact_id, command.expected_version)
        contact.change_consent(actor=ctx.actor, at=self._clock.now(), channel=command.channel,
                               granted=command.granted, reason=command.reason)
        uow.add(contact)
        return ContactSnapshot.of(contact)
