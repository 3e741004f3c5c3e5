"""The dispatcher: a process manager that routes waiting tasks to agents.

It reads a routing snapshot from the supervisor read model, asks the pure routing service
for assignments, and issues one ReserveTask per assignment. The snapshot may be a few
milliseconds old; the reservation command re-checks everything against the write model
(presence, shift, skills, capacity by slot claims), so a stale snapshot can only make the
dispatcher try in vain, never reserve wrongly. The runtime runs it after every commit (once
the read model has caught up) and on a tick; tests call ``run_once``.
"""

from __future__ import annotations

import logging
from uuid import UUID

from application.bus import CommandBus
from application.contact_center.commands import ReserveTask
from application.contact_center.ports import RoutingQueries
from application.ports import CommandContext
from domain.contact_center import route
from domain.ports import Clock
from domain.shared import DomainError

ACTOR = "system:dispatcher"
log = logging.getLogger("frontdesk.dispatcher")


class Dispatcher:
    def __init__(self, bus: CommandBus, routing: RoutingQueries, clock: Clock, *,
                 per_queue: int = 500) -> None:
        self._bus, self._routing, self._clock = bus, routing, clock
        self._per_queue = per_queue

    def dispatch(self, tenant_id: UUID) -> int:
        """Route one tenant's waiting tasks; returns the number of reservations made."""
        snapshot = self._routing.snapshot(tenant_id, per_queue=self._per_queue)
        if not snapshot.tasks:
            return 0
        ctx = CommandContext(tenant_id=tenant_id, actor=ACTOR)
        made = 0
        for assignment in route(snapshot.tasks, snapshot.agents, snapshot.queues,
                                self._clock.now()):
            try:
                self._bus.execute(ReserveTask(assignment.task_id, assignment.agent_id), ctx)
            except DomainError as refused:  # the snapshot was stale; the next pass decides
                log.debug("reservation refused: %s", refused.message)
                continue
            made += 1
        return made

    def run_once(self, tenant_id: UUID | None = None) -> int:
        tenants = [tenant_id] if tenant_id is not None else self._routing.tenants_to_route()
        return sum(self.dispatch(tenant) for tenant in tenants)
