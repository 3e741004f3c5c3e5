"""Process manager: a lead with no contact for ``stale_after`` gets a follow-up scheduled.

Driven by the Clock port, so tests control time. It asks the lead_pipeline read model for
candidates and lets each Lead aggregate decide (idempotent: a lead that already has a pending
follow-up, or was contacted meanwhile, stays untouched).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Protocol
from uuid import UUID

from application.bus import CommandBus, Executed
from application.leads.commands import ScheduleStaleFollowUp
from application.leads.views import LeadQueries
from application.ports import CommandContext
from domain.ports import Clock
from domain.shared import DomainError

ACTOR = "system:stale-lead-policy"


class TenantSettingsSource(Protocol):
    def stale_after_by_tenant(self) -> dict[UUID, timedelta]:
        """Every active tenant with its stale_after setting."""
        ...


class StaleLeadPolicy:
    def __init__(self, bus: CommandBus, leads: LeadQueries, tenants: TenantSettingsSource,
                 clock: Clock, batch: int = 500) -> None:
        self._bus, self._leads, self._tenants = bus, leads, tenants
        self._clock, self._batch = clock, batch

    def run_once(self, on_error: Callable[[UUID, Exception], None] | None = None) -> int:
        """Schedule follow-ups for every stale lead now; returns how many were scheduled."""
        scheduled = 0
        now = self._clock.now()
        for tenant_id, stale_after in self._tenants.stale_after_by_tenant().items():
            ctx = CommandContext(tenant_id=tenant_id, actor=ACTOR)
            for lead_id in self._leads.stale_candidates(tenant_id, inactive_since=now - stale_after,
                                                        limit=self._batch):
                command = ScheduleStaleFollowUp(lead_id, int(stale_after.total_seconds()))
                try:
                    outcome = self._bus.execute(command, ctx)
                except DomainError as error:
                    if on_error is not None:
                        on_error(lead_id, error)
                    continue
                if isinstance(outcome, Executed) and outcome.result:
                    scheduled += 1
        return scheduled
