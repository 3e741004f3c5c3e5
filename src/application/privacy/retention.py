"""Per-tenant retention policies (ADR 0086): erase contacts with no activity for N months.

A tenant's admin sets the policy; the worker applies every tenant's periodically and
``frontdesk retention run`` on demand. Each contact found inactive is erased through the very
command the API and the CLI use (``EraseContact`` on the command bus: crypto-shredding, the log
stays intact), with the policy as the reason and ``retention:policy`` as the actor. Every run
leaves a report per tenant (what was erased, counts), stored and readable through the API; a
dry run finds and reports the same without changing anything. The moment comes from the Clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.bus import CommandBus
from application.contacts.erasure import EraseContact
from application.ports import CommandContext, Page
from domain.ports import Clock
from domain.shared import DomainError, InvalidValue
from domain.shared.ids import new_id

MAX_MONTHS = 1200
ACTOR = "retention:policy"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """None keeps for ever (the default)."""

    erase_inactive_contacts_months: int | None = None
    delete_message_bodies_months: int | None = None

    def __post_init__(self) -> None:
        for name in ("erase_inactive_contacts_months", "delete_message_bodies_months"):
            months = getattr(self, name)
            if months is not None and not (isinstance(months, int) and 1 <= months <= MAX_MONTHS):
                raise InvalidValue(name, f"null or whole months from 1 to {MAX_MONTHS}")
        if self.delete_message_bodies_months is not None:
            raise MessageBodyRetentionUnavailable(
                "delete_message_bodies_months", "deleting message bodies after M months is "
                "not available yet (ADR 0086): leave it null")

    @property
    def keeps_everything(self) -> bool:
        return self.erase_inactive_contacts_months is None


class MessageBodyRetentionUnavailable(InvalidValue):
    """Refused rather than stored and not applied: a tenant must not believe bodies go."""

    code = "not-supported"


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
class RetentionReport:
    id: UUID
    tenant_id: UUID
    ran_at: datetime
    dry_run: bool
    policy: RetentionPolicy
    inactive_before: datetime | None
    contacts: tuple[ErasedByRetention, ...] = ()
    triggered_by: str = "worker"

    @property
    def contacts_erased(self) -> int:
        return sum(1 for c in self.contacts if c.outcome in ("erased", "would_erase"))

    @property
    def failures(self) -> int:
        return sum(1 for c in self.contacts if c.outcome.startswith("failed"))


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
            if report.contacts or store_empty:
                self.reports.add(report)
            reports.append(report)
        return reports

    def _apply(self, tenant_id: UUID, policy: RetentionPolicy, now: datetime, dry_run: bool,
               triggered_by: str) -> RetentionReport:
        months = policy.erase_inactive_contacts_months
        if months is None:
            return RetentionReport(new_id(), tenant_id, now, dry_run, policy, None,
                                   triggered_by=triggered_by)
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
        return RetentionReport(new_id(), tenant_id, now, dry_run, policy, cutoff,
                               tuple(done), triggered_by)

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
