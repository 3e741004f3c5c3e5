"""Runs log consumers (the outbox dispatchers): read in commit-safe order, hand each event to
the consumer, then move the position. A failing event stops the consumer there; it is retried
with backoff from the same position (the consumer is idempotent), so nothing is skipped and
per-conversation order is kept."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from opentelemetry.trace import Tracer

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.observability.tracing import event_span
from adapters.postgres.database import DictPool
from adapters.projections.follow import catch_up, follow
from adapters.projections.reader import Position, prefetch_keys, read_after
from adapters.projections.runner import MAX_ID
from adapters.projections.tracking import advance_tracking, ensure_tracking, load_tracking
from application.consumers import LogConsumer
from application.conversations.ports import TransportUnavailable

log = logging.getLogger("frontdesk.consumers")


def consumer_tracking_name(consumer: LogConsumer) -> str:
    return f"consumer:{consumer.name}"


class ConsumerRunner:
    def __init__(self, consumer: LogConsumer, pool: DictPool, mapper: PersonalDataMapper,
                 *, batch_size: int = 100, tracer: Tracer | None = None) -> None:
        from eventsourcing.utils import get_topic

        self.consumer = consumer
        self._pool, self._mapper = pool, mapper
        self.topics = [get_topic(c) for c in consumer.event_classes]
        self.tracking_name = consumer_tracking_name(consumer)
        self.batch_size = batch_size
        self.position: Position | None = None
        # A consumer that needs each event's position (the webhook enqueuer: it is the
        # delivery's id), or to hear that its position was reloaded (ADR 0068).
        self._handle_at = getattr(consumer, "handle_at", None)
        self._resume = getattr(consumer, "resume", None)
        self._tracer = tracer  # a span per event handled (ADR 0083)

    def ensure_tracking(self) -> None:
        with self._pool.connection() as conn:
            ensure_tracking(conn, self.tracking_name, 1)

    def step(self) -> int:
        """Handle one batch; returns the number of events seen (0 when caught up). Events
        handled before a failure are passed (their position is saved) before it is raised."""
        with self._pool.connection() as conn:
            if self.position is None:
                row = load_tracking(conn, self.tracking_name)
                if row is None:
                    raise LookupError(f"{self.tracking_name} has no tracking row")
                self.position = row.position
                if self._resume is not None:
                    self._resume()
            start = self.position
            batch = read_after(conn, start, self.batch_size, topics=self.topics)
            prefetch_keys(self._mapper, batch, conn)
            done = start
            failure: Exception | None = None
            for read in batch.events:
                try:
                    event = self._mapper.to_domain_event(read.stored)
                    with event_span(self._tracer, self.tracking_name, event):
                        if self._handle_at is not None:
                            self._handle_at(event, read.position.text())
                        else:
                            self.consumer.handle(event)
                except Exception as error:
                    failure = error
                    break
                done = read.position
            new_position = done
            if failure is None and len(batch.events) < self.batch_size and batch.horizon > 0:
                new_position = max(new_position, Position(batch.horizon - 1, MAX_ID))
            if new_position != start:
                with conn.transaction():
                    if not advance_tracking(conn, self.tracking_name, start, new_position,
                                            batch.horizon, len(batch.events)):
                        self.position = None
                        return 0
                self.position = new_position
            if failure is not None:
                raise failure
            return len(batch.events) if new_position != start else 0

    def catch_up(self) -> int:
        """Handle every event committed before the call (tests, tools); how many it saw."""
        return catch_up(self, self._pool)

    def run(self, stop: threading.Event, wake: threading.Event, *, idle: float = 1.0,
            still_claimed: Callable[[], bool] = lambda: True) -> None:
        """A vendor outage (``TransportUnavailable``) is expected: one log line per retry,
        up to a minute apart; it is recorded as a failure like any other (ADR 0060)."""
        follow(self, self._pool, stop, wake, log, idle=idle, max_backoff=60.0,
               expected=(TransportUnavailable,), still_claimed=still_claimed)
