"""Runs process managers over the log: read in commit-safe order, react through the command
bus, then move the policy's tracking position (at-least-once; reactions are idempotent)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from opentelemetry.trace import Tracer

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.observability.tracing import event_span
from adapters.postgres.database import DictPool
from adapters.projections.follow import catch_up, follow
from adapters.projections.reader import Position, prefetch_keys, read_after
from adapters.projections.runner import MAX_ID
from adapters.projections.tracking import advance_tracking, ensure_tracking, load_tracking
from application.bus import CommandBus
from application.policies import Policy
from application.ports import CommandContext
from domain.shared.errors import DomainError

log = logging.getLogger("frontdesk.policies")


def policy_tracking_name(policy: Policy) -> str:
    return f"policy:{policy.name}"


class PolicyRunner:
    def __init__(self, policy: Policy, pool: DictPool, mapper: PersonalDataMapper,
                 bus: CommandBus, *, batch_size: int = 500,
                 tenant_id: UUID | None = None, tracer: Tracer | None = None) -> None:
        """``tenant_id``: react to that tenant's events only, with a tracking position of its
        own (``policy:<name>:tenant:<id>``): one tenant's reactions replayed without reading
        through, or reacting to, everybody else's (tests use it; the runtime never does)."""
        from eventsourcing.utils import get_topic

        self.policy = policy
        self._pool, self._mapper, self._bus = pool, mapper, bus
        self.topics = [get_topic(c) for c in policy.event_classes]
        self.tenant_id = tenant_id
        self.tracking_name = policy_tracking_name(policy) + (
            f":tenant:{tenant_id}" if tenant_id is not None else "")
        self.batch_size = batch_size
        self.position: Position | None = None
        self._tracer = tracer  # a span per event reacted to (ADR 0083)

    def ensure_tracking(self) -> None:
        with self._pool.connection() as conn:
            ensure_tracking(conn, self.tracking_name, 1)

    def step(self) -> int:
        """React to one batch; returns the number of events seen (0 when caught up)."""
        with self._pool.connection() as conn:
            if self.position is None:
                row = load_tracking(conn, self.tracking_name)
                if row is None:
                    raise LookupError(f"{self.tracking_name} has no tracking row")
                self.position = row.position
            start = self.position
            batch = read_after(conn, start, self.batch_size, topics=self.topics,
                               tenant_id=self.tenant_id)
            prefetch_keys(self._mapper, batch, conn)
            for read in batch.events:
                event = self._mapper.to_domain_event(read.stored)
                with event_span(self._tracer, self.tracking_name, event):
                    self._react(event)
            new_position = batch.events[-1].position if batch.events else start
            if len(batch.events) < self.batch_size and batch.horizon > 0:
                new_position = max(new_position, Position(batch.horizon - 1, MAX_ID))
            if new_position == start:
                return 0
            with conn.transaction():
                if not advance_tracking(conn, self.tracking_name, start, new_position,
                                        batch.horizon, len(batch.events)):
                    self.position = None
                    return 0
            self.position = new_position
            # Only events count: a batch that merely moved past other transactions is caught
            # up. (Counting it made the runner read again at once; its own tracking write had
            # moved the horizon, so every policy kept every other one busy, idle or not.)
            return len(batch.events)

    def _react(self, event: Any) -> None:
        for reaction in self.policy.react(event):
            ctx = CommandContext(tenant_id=reaction.tenant_id, actor=reaction.actor)
            try:
                self._bus.execute(reaction.command, ctx)
            except DomainError as refused:  # e.g. already done: idempotent replay
                log.info("%s: %s refused: %s", self.policy.name,
                         type(reaction.command).__name__, refused.message)

    def catch_up(self) -> int:
        """Handle every event committed before the call (tests, tools); how many it saw."""
        return catch_up(self, self._pool)

    def run(self, stop: threading.Event, wake: threading.Event, *, idle: float = 1.0,
            still_claimed: Callable[[], bool] = lambda: True) -> None:
        follow(self, self._pool, stop, wake, log, idle=idle, still_claimed=still_claimed)
