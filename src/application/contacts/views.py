"""What clients see of a contact: a snapshot after a command, a view from the read model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports import Page
from domain.contacts import Contact


@dataclass(frozen=True, slots=True)
class ContactSnapshot:
    id: UUID
    name: str | None
    email: str | None
    phone: str | None
    consents: dict[str, bool]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, contact: Contact) -> ContactSnapshot:
        return cls(id=contact.id, name=contact.name, email=contact.email, phone=contact.phone,
                   consents=dict(contact.consents), version=contact.version,
                   created_at=contact.created_on, updated_at=contact.modified_on)


ContactView = ContactSnapshot
"""The read model row has the same shape as the snapshot."""


class ContactQueries(Protocol):
    def get(self, tenant_id: UUID, contact_id: UUID) -> ContactView | None: ...

    def page(self, tenant_id: UUID, *, email: str | None, phone: str | None, limit: int,
             cursor: str | None) -> Page[ContactView]: ...
