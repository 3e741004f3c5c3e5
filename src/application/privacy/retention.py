"""Per-tenant retention policies (ADR 0086): erase contacts with no activity for N months,
delete conversations' message bodies after M months.

A tenant's admin sets the policy; the worker applies every tenant's periodically and
``frontdesk retention run`` on demand. Each contact found inactive is erased through the very
command the API and the CLI use (``EraseContact`` on the command bus: crypto-shredding, the log
stays intact), with the policy as the reason and ``retention:policy`` as the actor. Every run
leaves a report per tenant (what was erased, counts), stored and readable through the API; a
dry run finds and reports the same without changing anything. The moment comes from the Clock.

Message bodies go through ``DeleteMessageBodies`` (one conversation per command): the bodies'
own keys are destroyed, the messages' other facts stay. Only bodies sealed with a key of their
own can be reached (those written since ADR 0086 was built); older ones go with their contact.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.bus import CommandBus
from application.contacts.erasure import EraseContact
from application.conversations.body_deletion import (
    DeleteMessageBodies,
    MessageBodiesToDelete,
    OldMessageBodies,
)
from application.ports import CommandContext, Page
from domain.ports import Clock
from domain.shared import DomainError, InvalidValue
from domain.shared.ids import new_id

MAX_MONTHS = 1200
MAX_BODY_MONTHS = 120
ACTOR = "retention:policy"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """None keeps for ever (the default)."""

    erase_inactive_contacts_months: int | None = None
    delete_message_bodies_months: int | None = None

    def __post_init__(self) -> None:
        for name, most in (("erase_inactive_contacts_months", MAX_MONTHS),
                           ("delete_message_bodies_months", MAX_BODY_MONTHS)):
            months = getattr(self, name)
            if months is not None and not (isinstance(months, int)
                                           and not isinstance(months, bool)
                                           and 1 <= months <= most):
                raise InvalidValue(name, f"null or whole months from 1 to {most}")

    @property
    def keeps_everything(self) -> bool:
        return (self.erase_inactive_contacts_months is None
                and self.delete_message_bodies_months is None)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when it
    is shorter: 31 March minus one month is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True, slots=True)
class ErasedByRetention:
    contact_id: UUID
    last_activity_at: datetime
    outcome: str
    """``erased``, ``already_erased``, ``would_erase`` (dry run) or ``failed: <reason>``."""


@dataclass(frozen=True, slots=True)
class BodiesDeletedByRetention:
    conversation_id: UUID
    bodies: int
    """How many message bodies went (or, in a dry run, would go)."""
    outcome: str
    """``deleted``, ``would_delete`` (dry run) or ``failed: <reason>``."""


@dataclass(frozen=True, slots=True)
class RetentionReport:
    id: UUID
    tenant_id: UUID
    ran_at: datetime
    dry_run: bool
    policy: RetentionPolicy
    inactive_before: datetime | None
    contacts: tuple[ErasedByRetention, ...] = ()
    triggered_by: str = "worker"
    bodies_before: datetime | None = None
    conversations: tuple[BodiesDeletedByRetention, ...] = ()

    @property
    def contacts_erased(self) -> int:
        return sum(1 for c in self.contacts if c.outcome in ("erased", "would_erase"))

    @property
    def message_bodies_deleted(self) -> int:
        return sum(c.bodies for c in self.conversations
                   if c.outcome in ("deleted", "would_delete"))

    @property
    def failures(self) -> int:
        return (sum(1 for c in self.contacts if c.outcome.startswith("failed"))
                + sum(1 for c in self.conversations if c.outcome.startswith("failed")))

    @property
    def found_anything(self) -> bool:
        return bool(self.contacts or self.conversations)


@dataclass(frozen=True, slots=True)
class InactiveContact:
    contact_id: UUID
    last_activity_at: datetime


class RetentionPolicies(Protocol):
    def get(self, tenant_id: UUID) -> RetentionPolicy: ...

    def save(self, tenant_id: UUID, policy: RetentionPolicy) -> None: ...

    def every_tenant(self) -> dict[UUID, RetentionPolicy]:
        """Every tenant's policy, also the ones that keep everything."""
        ...


class InactiveContacts(Protocol):
    def inactive_before(self, tenant_id: UUID, cutoff: datetime, *, limit: int,
                        after: InactiveContact | None = None) -> list[InactiveContact]:
        """Contacts not erased whose last activity (their own events, their leads',
        conversations' and cases') is before ``cutoff``, oldest first (then by id), after
        ``after`` in that order."""
        ...


class RetentionReports(Protocol):
    def add(self, report: RetentionReport) -> None: ...

    def page(self, tenant_id: UUID, *, limit: int,
             cursor: str | None) -> Page[RetentionReport]:
        """Newest first."""
        ...

    def get(self, tenant_id: UUID, report_id: UUID) -> RetentionReport | None: ...


@dataclass
class ApplyRetention:
    """Apply the tenants' policies: one report per tenant with a policy, per run."""

    policies: RetentionPolicies
    inactive: InactiveContacts
    reports: RetentionReports
    bus: CommandBus
    clock: Clock
    bodies: MessageBodiesToDelete | None = None
    batch: int = 500

    def run(self, *, tenant_id: UUID | None = None, dry_run: bool = False,
            triggered_by: str = "worker", store_empty: bool = True) -> list[RetentionReport]:
        """``store_empty`` False (the worker's hourly runs): a report that found no contact
        is returned but not stored, so the reports list what was done, not every hour."""
        policies = self.policies.every_tenant()
        if tenant_id is not None:
            policies = {tenant_id: policies.get(tenant_id, RetentionPolicy())}
        now = self.clock.now()
        reports = []
        for tenant, policy in sorted(policies.items()):
            if policy.keeps_everything and tenant_id is None:
                continue  # nothing to do, nothing to report
            report = self._apply(tenant, policy, now, dry_run, triggered_by)
            if report.found_anything or store_empty:
                self.reports.add(report)
            reports.append(report)
        return reports

    def _apply(self, tenant_id: UUID, policy: RetentionPolicy, now: datetime, dry_run: bool,
               triggered_by: str) -> RetentionReport:
        cutoff, contacts = self._erase_inactive(tenant_id, policy, now, dry_run)
        bodies_before, conversations = self._delete_bodies(tenant_id, policy, now, dry_run)
        return RetentionReport(new_id(), tenant_id, now, dry_run, policy, cutoff, contacts,
                               triggered_by, bodies_before, conversations)

    def _delete_bodies(self, tenant_id: UUID, policy: RetentionPolicy, now: datetime,
                       dry_run: bool
                       ) -> tuple[datetime | None, tuple[BodiesDeletedByRetention, ...]]:
        months = policy.delete_message_bodies_months
        if months is None or self.bodies is None:
            return None, ()
        cutoff = months_before(now, months)
        done: list[BodiesDeletedByRetention] = []
        after: UUID | None = None
        while True:
            found = self.bodies.before(tenant_id, cutoff, limit=self.batch, after=after)
            done += [self._delete(tenant_id, old, cutoff, dry_run) for old in found]
            if len(found) < self.batch:
                break
            after = found[-1].conversation_id
        return cutoff, tuple(done)

    def _delete(self, tenant_id: UUID, old: OldMessageBodies, cutoff: datetime,
                dry_run: bool) -> BodiesDeletedByRetention:
        if dry_run:
            return BodiesDeletedByRetention(old.conversation_id, len(old.message_ids),
                                            "would_delete")
        try:
            outcome = self.bus.execute(
                DeleteMessageBodies(old.conversation_id, cutoff, old.message_ids),
                CommandContext(tenant_id, ACTOR))
        except DomainError as refused:  # one conversation's refusal does not stop the run
            return BodiesDeletedByRetention(old.conversation_id, 0, f"failed: {refused}")
        deleted = getattr(getattr(outcome, "result", None), "deleted", ())
        return BodiesDeletedByRetention(old.conversation_id, len(deleted), "deleted")

    def _erase_inactive(self, tenant_id: UUID, policy: RetentionPolicy, now: datetime,
                        dry_run: bool) -> tuple[datetime | None, tuple[ErasedByRetention, ...]]:
        months = policy.erase_inactive_contacts_months
        if months is None:
            return None, ()
        cutoff = months_before(now, months)
        done: list[ErasedByRetention] = []
        reason = f"retention policy: no activity for {months} months"
        last: InactiveContact | None = None
        while True:  # in pages: the read models purge the erased ones later, not at once
            found = self.inactive.inactive_before(tenant_id, cutoff, limit=self.batch,
                                                  after=last)
            for contact in found:
                done.append(ErasedByRetention(contact.contact_id, contact.last_activity_at,
                                              self._erase(tenant_id, contact.contact_id,
                                                          reason, dry_run)))
            if len(found) < self.batch:
                break
            last = found[-1]
        return cutoff, tuple(done)

    def _erase(self, tenant_id: UUID, contact_id: UUID, reason: str, dry_run: bool) -> str:
        if dry_run:
            return "would_erase"
        try:
            outcome = self.bus.execute(EraseContact(contact_id, reason),
                                       CommandContext(tenant_id, ACTOR))
        except DomainError as refused:  # one contact's refusal does not stop the run
            return f"failed: {refused}"
        result = getattr(outcome, "result", None)
        return "already_erased" if getattr(result, "already_erased", False) else "erased"
