"""Erasure (GDPR art. 17) by crypto-shredding, and access (art. 15) as an export.

Erasing records ContactErased and destroys the contact's data key in the same commit: every
personal field ever written for the person (their own events, their leads' notes) then reads
``[erased]``, while the events, ids and amounts stay. Projections purge the person's rows when
they reach the event; the compactor then rewrites the tables so no copy stays in their files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.contacts.views import ContactQueries
from application.leads.views import LeadFilters, LeadQueries
from application.ports import CommandContext, EventHistory, UnitOfWork
from domain.contacts import Contact
from domain.ports import Clock
from domain.shared import NotFound

PURGED_READ_MODELS = ("contacts", "lead_pipeline", "memories")


@dataclass(frozen=True, slots=True)
class EraseContact:
    contact_id: UUID
    reason: str = "data subject request (GDPR art. 17)"


@dataclass(frozen=True, slots=True)
class ErasureReceipt:
    contact_id: UUID
    erased_at: datetime
    requested_by: str
    already_erased: bool
    read_models: tuple[str, ...] = PURGED_READ_MODELS


class EraseContactHandler:
    def __init__(self, read_models: tuple[str, ...] = PURGED_READ_MODELS) -> None:
        """``read_models``: the projections that purge a person on ContactErased."""
        self._read_models = tuple(read_models)

    def __call__(self, command: EraseContact, uow: UnitOfWork,
                 ctx: CommandContext) -> ErasureReceipt:
        contact = uow.get(Contact, command.contact_id)
        if contact.erased:  # asking again is answered again, and changes nothing
            return ErasureReceipt(contact.id, contact.modified_on, ctx.actor, True,
                                  self._read_models)
        now = ctx.now
        contact.erase(actor=ctx.actor, at=now, reason=command.reason)
        uow.add(contact)
        uow.forget(contact.id)
        return ErasureReceipt(contact.id, now, ctx.actor, False, self._read_models)


class ContactMemories(Protocol):
    def of_contact(self, tenant_id: UUID, contact_id: UUID) -> list[dict[str, Any]]: ...


class ContactExport:
    """Everything held about one person, as plain data (GDPR art. 15)."""

    def __init__(self, contacts: ContactQueries, leads: LeadQueries, history: EventHistory,
                 memories: ContactMemories, clock: Clock) -> None:
        self._contacts, self._leads, self._history = contacts, leads, history
        self._memories, self._clock = memories, clock

    def export(self, tenant_id: UUID, contact_id: UUID) -> dict[str, Any]:
        events = self._history.of(tenant_id, contact_id)
        if not events or events[0].type != "ContactRegistered":
            raise NotFound("contact not found")
        contact = self._contacts.get(tenant_id, contact_id)
        leads = []
        cursor = None
        while True:
            page = self._leads.page(tenant_id, LeadFilters(contact_id=contact_id), limit=200,
                                    cursor=cursor)
            for lead in page.items:
                leads.append({"lead": lead, "events": self._history.of(tenant_id, lead.id)})
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        return {
            "generated_at": self._clock.now(),
            "contact": contact,
            "contact_events": events,
            "leads": leads,
            "memories": self._memories.of_contact(tenant_id, contact_id),
            "about": "All data Frontdesk holds about this person: the contact record, every "
                     "event recorded about them (personal fields decrypted), their leads with "
                     "their events, and the memories kept for the assistant. Keyed hashes of "
                     "email and phone used for deduplication are not reversible and not shown.",
        }
