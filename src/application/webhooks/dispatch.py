"""The dispatcher: sends due deliveries, signed, and records each outcome (ADR 0068).

- **Order per aggregate**: only a delivery that heads its (subscription, aggregate) line is
  leased; a failing one holds back the later events of its aggregate, not of the others.
- **Retries**: a failure is tried again on the ``RetrySchedule`` (exponential, jittered,
  capped); the schedule is stored with the delivery, so a restart loses nothing.
- **At least once**: a delivery is leased (not due again for a while) before it is sent, and
  marked delivered after: a crash in between sends it again, with the same ``webhook-id``.
- **Given up**: a delivery that has failed for ``give_up_after`` is marked failed, and its
  subscription disabled by a command (``system:webhooks``): an event, so an audit entry.
- **One circuit per subscription** (``EndpointCircuits``) keeps a dead endpoint from being
  called for every waiting event.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import timedelta
from uuid import UUID

from application.bus import CommandBus
from application.ports import CommandContext, UnitOfWorkFactory
from application.webhooks.circuits import EndpointCircuits
from application.webhooks.commands import DisableSubscription
from application.webhooks.ports import (
    Attempt,
    Delivery,
    DeliveryQueue,
    Message,
    Payloads,
    WebhookSender,
)
from application.webhooks.schedule import RetrySchedule
from domain.ports import Clock
from domain.shared.errors import DomainError
from domain.webhooks import SubscriptionStatus, WebhookSubscription

ACTOR = "system:webhooks"
log = logging.getLogger("frontdesk.webhooks")


class WebhookDispatcher:
    def __init__(self, queue: DeliveryQueue, payloads: Payloads, sender: WebhookSender,
                 uows: UnitOfWorkFactory, bus: CommandBus, clock: Clock, *,
                 schedule: RetrySchedule, circuits: EndpointCircuits, timeout: float,
                 senders: int = 8, per_subscription: int = 4, poll: float = 1.0,
                 retention_days: float = 30.0,
                 draw: Callable[[], float] = random.random) -> None:
        self._queue, self._payloads, self._sender = queue, payloads, sender
        self._uows, self._bus, self._clock = uows, bus, clock
        self.schedule, self.circuits = schedule, circuits
        self._lease = timedelta(seconds=timeout * 2 + 30)
        self._senders, self._per_subscription = senders, per_subscription
        self._poll, self._retention = poll, timedelta(days=retention_days)
        self._draw = draw
        self._secrets: dict[UUID, str] = {}
        self._lock = threading.Lock()
        self.wake = threading.Event()
        self._pool: ThreadPoolExecutor | None = None

    def poke(self) -> None:
        """Something was enqueued: look now rather than at the next poll."""
        self.wake.set()

    # -- one round ----------------------------------------------------------------------------

    def run_once(self) -> int:
        """Lease what is due, send it, record the outcomes; how many were attempted. Only
        the sending runs in the sender threads: the database is used from this one."""
        now = self._clock.now()
        opened, trial = self.circuits.closed_out(now)
        leased = self._queue.lease(now, now + self._lease, limit=self._senders * 4,
                                   per_subscription=self._per_subscription, opened=opened,
                                   trial=trial)
        if not leased:
            return 0
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._senders, thread_name_prefix="webhook-send")
        prepared = [(delivery, self._prepare(delivery)) for delivery in leased]
        for delivery, attempt in self._pool.map(self._send, prepared):
            self._record(delivery, attempt)
        return len(leased)

    def _prepare(self, delivery: Delivery) -> tuple[str, bytes] | Attempt | None:
        """(secret, body); an Attempt that failed before sending; None for a subscription
        removed meanwhile (its deliveries are being deleted)."""
        try:
            secret = self._secret(delivery.tenant_id, delivery.subscription_id)
            if secret is None:
                return None
            return secret, self._payloads.render(delivery)
        except Exception as error:  # the database; an event that cannot be read
            log.warning("webhook %s: not sent (%s)", delivery.position,
                        error.__class__.__name__)
            return Attempt(None, f"not sent: {error.__class__.__name__}")

    def _send(self, prepared: tuple[Delivery, tuple[str, bytes] | Attempt | None]
              ) -> tuple[Delivery, Attempt | None]:
        delivery, ready = prepared
        if ready is None or isinstance(ready, Attempt):
            return delivery, ready
        secret, body = ready
        return delivery, self._sender.send(delivery.url, Message(
            id=delivery.position, timestamp=self._clock.now(), body=body, secret=secret))

    def _record(self, delivery: Delivery, attempt: Attempt | None) -> None:
        if attempt is None:
            return
        if attempt.ok:
            assert attempt.status_code is not None
            self.circuits.succeeded(delivery.subscription_id)
            self._queue.succeeded(delivery, self._clock.now(), attempt.status_code)
        else:
            self._failed(delivery, attempt)

    def _failed(self, delivery: Delivery, attempt: Attempt) -> None:
        now = self._clock.now()
        if self.circuits.failed(delivery.subscription_id, now):
            log.info("webhook subscription %s: circuit open for %.0f s",
                     delivery.subscription_id, self.circuits.reset_timeout)
        error = attempt.error or f"answered {attempt.status_code}"
        next_attempt = self.schedule.next_attempt(
            failures=delivery.attempts + 1, first_attempt=delivery.first_attempt_at or now,
            now=now, draw=self._draw())
        self._queue.failed(delivery, now, attempt.status_code, error, next_attempt)
        if next_attempt is None:
            self._give_up(delivery, error)

    def _give_up(self, delivery: Delivery, error: str) -> None:
        days = self.schedule.give_up_after / 86_400
        reason = (f"delivery of {delivery.position} ({delivery.event_type}) failed for "
                  f"{days:g} days; last: {error}")[:500]
        log.warning("webhook subscription %s disabled after persistent failure",
                    delivery.subscription_id)
        with suppress(DomainError):  # disabled or removed meanwhile
            self._bus.execute(DisableSubscription(delivery.subscription_id, reason),
                              CommandContext(tenant_id=delivery.tenant_id, actor=ACTOR))
        self.circuits.forget(delivery.subscription_id)

    def _secret(self, tenant_id: UUID, subscription_id: UUID) -> str | None:
        with self._lock:
            known = self._secrets.get(subscription_id)
        if known is not None:
            return known
        subscription = self._uows(tenant_id).get(WebhookSubscription, subscription_id)
        if subscription.status is SubscriptionStatus.REMOVED:
            return None
        with self._lock:  # never changes while the subscription exists
            self._secrets[subscription_id] = subscription.secret
        return subscription.secret

    # -- the loop -----------------------------------------------------------------------------

    def prune(self) -> int:
        return self._queue.prune(self._clock.now() - self._retention)

    def run(self, stop: threading.Event, still_claimed: Callable[[], bool] = lambda: True,
            *, prune_every: float = 3600.0) -> None:
        """Rounds until ``stop`` or the claim is lost: at once while there is work, else at
        the next poke or poll. A failing round (the database) is logged and retried."""
        rounds_since_prune = float("inf")
        backoff = self._poll
        try:
            while not stop.is_set() and still_claimed():
                try:
                    if rounds_since_prune * self._poll >= prune_every:
                        self.prune()
                        rounds_since_prune = 0
                    self.wake.clear()
                    if self.run_once():
                        backoff = self._poll
                        continue
                except Exception as error:
                    log.warning("webhook dispatcher: %s; retrying", error.__class__.__name__)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                rounds_since_prune += 1
                self.wake.wait(self._poll)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
