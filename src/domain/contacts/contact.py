"""The Contact aggregate."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import InvalidValue, RuleViolated
from domain.shared.values import Email, PhoneNumber, bounded_text

CONSENT_CHANNELS = frozenset({"marketing", "sms", "whatsapp", "email", "voice"})
ERASED = "[erased]"


class Contact(TenantAggregate):
    """A person, unique per tenant by normalised email and by phone."""

    class ContactRegistered(TenantAggregate.Created):
        personal = frozenset({"name", "email", "phone"})
        name: str | None
        email: str | None
        phone: str | None

    class ContactDetailsChanged(TenantAggregate.Event):
        personal = frozenset({"name", "email", "phone"})
        name: str | None
        email: str | None
        phone: str | None

    class ContactConsentChanged(TenantAggregate.Event):
        channel: str
        granted: bool
        reason: str

    class ContactErased(TenantAggregate.Event):
        reason: str

    @classmethod
    def register(
        cls,
        *,
        contact_id: UUID,
        tenant_id: UUID,
        actor: str,
        at: datetime,
        name: str | None,
        email: Email | None,
        phone: PhoneNumber | None,
    ) -> Contact:
        """Register a person. A contact must be reachable: an email or a phone is required."""
        if email is None and phone is None:
            raise InvalidValue("email", "a contact needs an email or a phone number")
        return cls._create(
            cls.ContactRegistered,
            id=contact_id,
            tenant_id=tenant_id,
            actor=actor,
            timestamp=at,
            name=bounded_text("name", name, limit=200),
            email=email.value if email else None,
            phone=phone.value if phone else None,
        )

    def __init__(self, *, tenant_id: UUID, name: str | None, email: str | None,
                 phone: str | None) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.email = email
        self.phone = phone
        self.consents: dict[str, bool] = {}
        self.erased = False

    @property
    def subject_id(self) -> UUID:
        return self.id

    @property
    def claims(self) -> frozenset[Claim]:
        if self.erased:
            return frozenset()
        held = set()
        if self.email:
            held.add(Claim("contact_email", self.email))
        if self.phone:
            held.add(Claim("contact_phone", self.phone))
        return frozenset(held)

    def change_details(
        self,
        *,
        actor: str,
        at: datetime,
        name: str | None,
        email: Email | None,
        phone: PhoneNumber | None,
    ) -> bool:
        """Change name, email or phone. Returns False when nothing changed (no event)."""
        self._must_not_be_erased()
        new_name = bounded_text("name", name, limit=200) if name is not None else self.name
        new_email = email.value if email is not None else self.email
        new_phone = phone.value if phone is not None else self.phone
        if (new_name, new_email, new_phone) == (self.name, self.email, self.phone):
            return False
        self._details_changed(actor=actor, timestamp=at, name=new_name, email=new_email,
                              phone=new_phone)
        return True

    @event(ContactDetailsChanged)
    def _details_changed(self, actor: str, timestamp: datetime, name: str | None,
                         email: str | None, phone: str | None) -> None:
        self.name, self.email, self.phone = name, email, phone

    def change_consent(self, *, actor: str, at: datetime, channel: str, granted: bool,
                       reason: str) -> bool:
        """Record an opt-in or opt-out (STOP on SMS is an opt-out). Returns False if unchanged."""
        self._must_not_be_erased()
        if channel not in CONSENT_CHANNELS:
            raise InvalidValue("channel", f"must be one of {sorted(CONSENT_CHANNELS)}")
        if self.consents.get(channel) is granted:
            return False
        self._consent_changed(actor=actor, timestamp=at, channel=channel, granted=granted,
                              reason=bounded_text("reason", reason, limit=200) or "unspecified")
        return True

    @event(ContactConsentChanged)
    def _consent_changed(self, actor: str, timestamp: datetime, channel: str, granted: bool,
                         reason: str) -> None:
        self.consents[channel] = granted

    def erase(self, *, actor: str, at: datetime, reason: str) -> None:
        """Forget the person (the data key is destroyed by the caller, events stay)."""
        self._must_not_be_erased()
        self._erased(actor=actor, timestamp=at, reason=bounded_text("reason", reason, limit=200)
                     or "data subject request")

    @event(ContactErased)
    def _erased(self, actor: str, timestamp: datetime, reason: str) -> None:
        self.erased = True
        self.name = self.email = self.phone = None

    def _must_not_be_erased(self) -> None:
        if self.erased:
            raise RuleViolated("an erased contact cannot be changed")
