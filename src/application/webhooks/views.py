"""What the API shows of subscriptions and their deliveries, and the query port behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports import Page
from domain.webhooks import WebhookSubscription


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    id: UUID
    url: str
    event_types: list[str]
    description: str | None
    status: str
    disabled_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, subscription: WebhookSubscription) -> SubscriptionView:
        return cls(id=subscription.id, url=subscription.url,
                   event_types=list(subscription.event_types),
                   description=subscription.description, status=subscription.status.value,
                   disabled_reason=subscription.disabled_reason, version=subscription.version,
                   created_at=subscription.created_at, updated_at=subscription.updated_at)


@dataclass(frozen=True, slots=True)
class CreatedSubscription:
    """The new subscription and its signing secret: the only time the secret is shown."""

    subscription: SubscriptionView
    secret: str


@dataclass(frozen=True, slots=True)
class ReplayAccepted:
    subscription: SubscriptionView
    after: str


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: str
    """The event's position ``TX:ID``, also the ``webhook-id`` of every attempt."""
    event_type: str
    aggregate_id: UUID
    aggregate_version: int
    status: str
    """pending, delivered, failed (gave up) or cancelled (the subscription was disabled)."""
    attempts: int
    enqueued_at: datetime
    next_attempt_at: datetime | None
    first_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    finished_at: datetime | None


class SubscriptionQueries(Protocol):
    def page(self, tenant_id: UUID, *, status: str | None, limit: int,
             cursor: str | None) -> Page[SubscriptionView]: ...

    def one(self, tenant_id: UUID, subscription_id: UUID) -> SubscriptionView | None: ...

    def deliveries(self, tenant_id: UUID, subscription_id: UUID, *, status: str | None,
                   limit: int, cursor: str | None) -> Page[DeliveryView]: ...
