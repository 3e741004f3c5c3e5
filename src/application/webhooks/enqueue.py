"""The enqueuer: a log consumer that turns each committed event into one pending delivery per
subscription that wants it (ADR 0068).

It follows the log in commit order, so it knows exactly which subscriptions exist at each
position: it applies the subscriptions' own events (created, disabled, enabled, removed, replay
requested) to the endpoints table as it meets them, and an event goes to the subscriptions that
were active at its position. It does no network I/O: a receiver that is down never holds the
log back; the dispatcher sends.

Idempotent, as a log consumer must be: a delivery is enqueued at most once per event and
subscription, and a subscription's event is applied only over an older version of it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from application.webhooks.catalog import EVENT_TYPES
from application.webhooks.ports import DeliveryQueue, Endpoint
from domain.webhooks import WebhookSubscription

NAME = "webhooks"
_OWN = (WebhookSubscription.SubscriptionCreated, WebhookSubscription.SubscriptionDisabled,
        WebhookSubscription.SubscriptionEnabled, WebhookSubscription.SubscriptionRemoved,
        WebhookSubscription.ReplayRequested)


def _position(text: str) -> tuple[int, int]:
    tx, _, nid = text.partition(":")
    return int(tx), int(nid)


class WebhookEnqueuer:
    name = NAME
    event_classes: tuple[type, ...] = (*_OWN, *EVENT_TYPES.values())

    def __init__(self, queue: DeliveryQueue, *, enqueued: Callable[[], None] = lambda: None,
                 cache_size: int = 10_000) -> None:
        self._queue = queue
        self._enqueued = enqueued
        self._cache: OrderedDict[UUID, list[Endpoint]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def resume(self) -> None:
        """The runner (re)loaded its position, perhaps after another process moved it: what
        this one remembers of the subscriptions may be stale."""
        with self._lock:
            self._cache.clear()

    def handle(self, event: Any) -> None:
        raise TypeError("the webhook enqueuer needs each event's position (handle_at)")

    def handle_at(self, event: Any, position: str) -> None:
        if type(event) in _OWN:
            self._subscription_event(event, position)
            return
        event_type = type(event).__name__
        if EVENT_TYPES.get(event_type) is type(event):
            self._deliverable(event, event_type, position)

    def _deliverable(self, event: Any, event_type: str, position: str) -> None:
        at = _position(position)
        wanted = [e.subscription_id for e in self._endpoints(event.tenant_id)
                  if event_type in e.event_types and at > e.since]
        if wanted:
            self._queue.enqueue(event.tenant_id, wanted, position, event.originator_id,
                                event.originator_version, event_type, event.timestamp)
            self._enqueued()

    def _endpoints(self, tenant_id: UUID) -> list[Endpoint]:
        with self._lock:
            found = self._cache.get(tenant_id)
            if found is not None:
                self._cache.move_to_end(tenant_id)
                return found
        found = self._queue.endpoints(tenant_id)
        with self._lock:
            self._cache[tenant_id] = found
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    def _subscription_event(self, event: Any, position: str) -> None:
        tenant_id, subscription_id = event.tenant_id, event.originator_id
        version = event.originator_version
        with self._lock:
            self._cache.pop(tenant_id, None)
        if isinstance(event, WebhookSubscription.SubscriptionCreated):
            self._queue.subscribed(tenant_id, subscription_id, version, position, event.url,
                                   event.event_types)
        elif isinstance(event, WebhookSubscription.SubscriptionDisabled):
            self._queue.disabled(tenant_id, subscription_id, version, event.timestamp)
        elif isinstance(event, WebhookSubscription.SubscriptionEnabled):
            self._queue.enabled(tenant_id, subscription_id, version, position)
        elif isinstance(event, WebhookSubscription.SubscriptionRemoved):
            self._queue.removed(tenant_id, subscription_id, version)
        else:
            endpoint = next((e for e in self._endpoints(tenant_id)
                             if e.subscription_id == subscription_id), None)
            if endpoint is None:
                return
            if self._queue.replay(tenant_id, subscription_id, version, event.after, position,
                                  sorted(endpoint.event_types), event.timestamp):
                self._enqueued()
        with self._lock:
            self._cache.pop(tenant_id, None)
