"""Access (GDPR art. 15): everything held about one person, as one plain-data document.

The person is the centre; everything recorded about them hangs off their contact id: their
leads, conversations (messages and calls), cases (quotes, invoices, payments, refunds),
contact-center tasks and memories, each with its event history (personal fields decrypted),
and the audit entries about any of these. Every read names the tenant, so another tenant's
data cannot enter (row-level security also stops it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, TypeVar
from uuid import UUID

from application.audit import AuditEntry, AuditFilters, AuditQueries
from application.cases.views import CaseFilters, CaseQueries
from application.contact_center.views import ContactCenterQueries, TaskFilters
from application.contacts.views import ContactQueries
from application.conversations.views import ConversationFilters, ConversationQueries
from application.leads.views import LeadFilters, LeadQueries
from application.ports import EventHistory, Page
from domain.ports import Clock
from domain.shared import NotFound

T = TypeVar("T")
PAGE = 200

ABOUT = ("All data Frontdesk holds about this person: the contact record and every event "
         "recorded about them (personal fields decrypted); their leads, conversations (messages "
         "and calls), cases (quote, invoices, payments and refunds) and contact-center tasks, "
         "each with its events; the memories kept for the assistant; and the audit entries "
         "about any of these (who did what, and who read their data, from where). Keyed hashes "
         "of email and phone used for deduplication are not reversible and not shown.")


class ContactMemories(Protocol):
    def of_contact(self, tenant_id: UUID, contact_id: UUID) -> list[dict[str, Any]]: ...


def every(page: Callable[[str | None], Page[T]]) -> list[T]:
    """Every item of a paged query, page after page."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        found = page(cursor)
        items.extend(found.items)
        if found.next_cursor is None:
            return items
        cursor = found.next_cursor


class ContactExport:
    """Everything held about one person, as plain data (GDPR art. 15)."""

    def __init__(self, contacts: ContactQueries, leads: LeadQueries,
                 conversations: ConversationQueries, cases: CaseQueries,
                 tasks: ContactCenterQueries, history: EventHistory,
                 memories: ContactMemories, audit: AuditQueries, clock: Clock) -> None:
        self._contacts, self._leads, self._history = contacts, leads, history
        self._conversations, self._cases, self._tasks = conversations, cases, tasks
        self._memories, self._audit, self._clock = memories, audit, clock

    def export(self, tenant_id: UUID, contact_id: UUID) -> dict[str, Any]:
        events = self._history.of(tenant_id, contact_id)
        if not events or events[0].type != "ContactRegistered":
            raise NotFound("contact not found")
        t = tenant_id
        leads = every(lambda c: self._leads.page(t, LeadFilters(contact_id=contact_id),
                                                 limit=PAGE, cursor=c))
        found = every(lambda c: self._conversations.page(
            t, ConversationFilters(contact_id=contact_id), limit=PAGE, cursor=c))
        conversations = [self._conversations.get(t, c.id) or c for c in found]
        cases = every(lambda c: self._cases.page(t, CaseFilters(contact_id=contact_id),
                                                 limit=PAGE, cursor=c))
        tasks = every(lambda c: self._tasks.tasks(t, TaskFilters(contact_id=contact_id),
                                                  limit=PAGE, cursor=c))
        related: list[UUID] = [contact_id, *(x.id for x in leads),
                               *(x.id for x in conversations), *(x.id for x in cases),
                               *(x.id for x in tasks)]
        return {
            "generated_at": self._clock.now(),
            "contact": self._contacts.get(t, contact_id),
            "contact_events": events,
            "leads": [{"lead": x, "events": self._history.of(t, x.id)} for x in leads],
            "conversations": [{"conversation": x, "events": self._history.of(t, x.id)}
                              for x in conversations],
            "cases": [{"case": x, "events": self._history.of(t, x.id)} for x in cases],
            "tasks": [{"task": x, "events": self._history.of(t, x.id)} for x in tasks],
            "memories": self._memories.of_contact(t, contact_id),
            "audit": self._audit_about(t, related),
            "about": ABOUT,
        }

    def _audit_about(self, tenant_id: UUID, resources: list[UUID]) -> list[AuditEntry]:
        entries = [entry for resource in resources
                   for entry in every(partial(self._audit_page, tenant_id, str(resource)))]
        return sorted(entries, key=lambda e: (e.occurred_at, str(e.id)))

    def _audit_page(self, tenant_id: UUID, resource: str,
                    cursor: str | None) -> Page[AuditEntry]:
        return self._audit.page(tenant_id, AuditFilters(resource_id=resource), limit=PAGE,
                                cursor=cursor)
