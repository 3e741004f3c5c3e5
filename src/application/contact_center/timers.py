"""Clock-driven process manager: reservations that timed out go back to their queue, tasks
held past their queue's maximum breach the SLA and are escalated, scheduled tasks that fell
due join their queue. Driven by the Clock port (deterministic in tests); every command is
idempotent, so a second run, or two runners, change nothing more."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.bus import CommandBus, Executed
from application.contact_center.commands import (
    EnqueueDueTask,
    EscalateTask,
    TimeOutReservation,
)
from application.contact_center.ports import DueWork, RoutingQueries
from application.ports import CommandContext
from domain.ports import Clock
from domain.shared import DomainError

ACTOR = "system:contact-center-clock"


@dataclass(frozen=True, slots=True)
class TimerReport:
    timed_out: int = 0
    breached: int = 0
    enqueued: int = 0

    @property
    def changed(self) -> int:
        return self.timed_out + self.breached + self.enqueued


class ContactCenterTimers:
    def __init__(self, bus: CommandBus, routing: RoutingQueries, clock: Clock, *,
                 batch: int = 500) -> None:
        self._bus, self._routing, self._clock = bus, routing, clock
        self._batch = batch

    def run_once(self, tenant_id: UUID | None = None,
                 on_error: Callable[[UUID, Exception], None] | None = None) -> TimerReport:
        now = self._clock.now()
        due = self._routing.due_tasks(now, tenant_id, self._batch)
        enqueued = self._run(due, lambda d: EnqueueDueTask(d.task_id), on_error)
        expired = self._routing.expired_reservations(now, tenant_id, self._batch)
        timed_out = self._run(expired, lambda d: TimeOutReservation(
            d.task_id, d.reservation_id) if d.reservation_id else None, on_error)
        held = self._routing.hold_breaches(now, tenant_id, self._batch)
        breached = self._run(held, lambda d: EscalateTask(d.task_id), on_error)
        return TimerReport(timed_out=timed_out, breached=breached, enqueued=enqueued)

    def _run(self, work: list[DueWork], command_of: Callable[[DueWork], Any],
             on_error: Callable[[UUID, Exception], None] | None) -> int:
        done = 0
        for item in work:
            command = command_of(item)
            if command is None:
                continue
            try:
                outcome = self._bus.execute(command, CommandContext(tenant_id=item.tenant_id,
                                                                    actor=ACTOR))
            except DomainError as error:
                if on_error is not None:
                    on_error(item.task_id, error)
                continue
            if isinstance(outcome, Executed) and outcome.result:
                done += 1
        return done
