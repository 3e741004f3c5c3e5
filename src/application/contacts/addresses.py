"""A person's addresses as a client sent them: normalised, and the unique claims they hold."""

from __future__ import annotations

from domain.ports import PhoneNormaliser
from domain.shared import Claim, Email, PhoneNumber


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
