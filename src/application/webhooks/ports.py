"""What outbound webhooks need from adapters: a policy on target URLs (SSRF), the delivery
queue (PostgreSQL tables owned by the enqueuer and the dispatcher), the rendered payloads, and
an HTTP sender that signs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.shared.errors import InvalidValue


class TargetRefused(InvalidValue):
    """A URL deliveries may not go to: plain http where https is required, or a host that is
    (or resolves to) a private, loopback, link-local or otherwise internal address (HTTP 422)."""

    code = "webhook-target-refused"

    def __init__(self, reason: str) -> None:
        super().__init__("url", reason)


class WebhookTargets(Protocol):
    def check(self, url: str) -> None:
        """Raise TargetRefused unless deliveries may go to ``url`` (resolving its host)."""
        ...


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A subscription as the enqueuer knows it, in log order."""

    subscription_id: UUID
    event_types: frozenset[str]
    since: tuple[int, int]
    """Events at or before this position are not its (it was created or enabled there)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """A delivery leased for an attempt."""

    tenant_id: UUID
    subscription_id: UUID
    position: str
    aggregate_id: UUID
    aggregate_version: int
    event_type: str
    url: str
    attempts: int
    first_attempt_at: datetime | None


class DeliveryQueue(Protocol):
    # -- the enqueuer, in log order ---------------------------------------------------------
    def endpoints(self, tenant_id: UUID) -> list[Endpoint]:
        """The tenant's active subscriptions."""
        ...

    def subscribed(self, tenant_id: UUID, subscription_id: UUID, version: int, position: str,
                   url: str, event_types: Sequence[str]) -> None: ...

    def disabled(self, tenant_id: UUID, subscription_id: UUID, version: int,
                 at: datetime) -> None:
        """Inactive; its pending deliveries are cancelled."""
        ...

    def enabled(self, tenant_id: UUID, subscription_id: UUID, version: int,
                position: str) -> None: ...

    def removed(self, tenant_id: UUID, subscription_id: UUID, version: int) -> None:
        """Forgotten, with its deliveries."""
        ...

    def replay(self, tenant_id: UUID, subscription_id: UUID, version: int, after: str,
               until: str, event_types: Sequence[str], at: datetime) -> int:
        """Deliver again the subscribed events between two positions; how many."""
        ...

    def enqueue(self, tenant_id: UUID, subscription_ids: Sequence[UUID], position: str,
                aggregate_id: UUID, aggregate_version: int, event_type: str,
                at: datetime) -> None:
        """One pending delivery per subscription (none twice for one event)."""
        ...

    # -- the dispatcher ---------------------------------------------------------------------
    def lease(self, now: datetime, until: datetime, *, limit: int, per_subscription: int,
              opened: set[UUID], trial: set[UUID]) -> list[Delivery]:
        """Due deliveries that head their (subscription, aggregate) line, not of ``opened``
        subscriptions, at most ``per_subscription`` each (one for ``trial`` ones); they are
        not due again before ``until`` (another dispatcher, or a crash, retries then)."""
        ...

    def succeeded(self, delivery: Delivery, at: datetime, status_code: int) -> None: ...

    def failed(self, delivery: Delivery, at: datetime, status_code: int | None, error: str,
               next_attempt: datetime | None) -> None:
        """Record a failed attempt; ``next_attempt`` None gives the delivery up."""
        ...

    def prune(self, before: datetime) -> int:
        """Delete finished deliveries that finished before ``before``."""
        ...


class Payloads(Protocol):
    def render(self, delivery: Delivery) -> bytes:
        """The JSON body: ``{type, id, timestamp, data: {aggregate_id, aggregate_type,
        version, actor, data}}``, the event as its history shows it."""
        ...


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    """``webhook-id``: the event's position, the same for every attempt and replay."""
    timestamp: datetime
    body: bytes
    secret: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """What the endpoint answered: ``status_code`` None when no answer came (refused,
    unreachable, timed out), with ``error`` saying why."""

    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender(Protocol):
    def send(self, url: str, message: Message) -> Attempt:
        """POST the signed message to ``url`` (checking its address again: DNS rebinding)."""
        ...
