"""Schemas of outbound webhook subscriptions and their deliveries."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from application.webhooks.views import DeliveryView, SubscriptionView
from entrypoints.http.schemas import In

POSITION = r"^\d{1,20}:\d{1,20}$"


class SubscriptionIn(In):
    url: str = Field(min_length=1, max_length=2000,
                     examples=["https://hooks.bright.example/frontdesk"],
                     description="Where events are POSTed: https (http only in development "
                                 "mode), on a public address")
    event_types: list[str] = Field(min_length=1, max_length=100,
                                   examples=[["LeadCaptured", "CaseOpened"]],
                                   description="Event names, as GET "
                                               "/v1/webhook-subscriptions/event-types lists")
    description: str | None = Field(default=None, max_length=500,
                                    examples=["CRM sync"])


class ReasonIn(In):
    reason: str = Field(default="disabled by an admin", min_length=1, max_length=500)


class ReplayIn(In):
    after: str = Field(pattern=POSITION, examples=["1234:5678"],
                       description="A position TX:ID (a delivery's webhook-id): every "
                                   "subscribed event committed after it is delivered again")


class SubscriptionOut(BaseModel):
    id: UUID
    url: str
    event_types: list[str]
    description: str | None
    status: str = Field(examples=["active"], description="active or disabled")
    disabled_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: SubscriptionView) -> SubscriptionOut:
        return cls(id=view.id, url=view.url, event_types=view.event_types,
                   description=view.description, status=view.status,
                   disabled_reason=view.disabled_reason, version=view.version,
                   created_at=view.created_at, updated_at=view.updated_at)


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str | None = Field(
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        description="The signing secret, shown in this answer only (null when the answer is "
                    "replayed for an Idempotency-Key): verify each delivery's "
                    "webhook-signature with it")


class SubscriptionPage(BaseModel):
    items: list[SubscriptionOut]
    next_cursor: str | None


class ReplayOut(BaseModel):
    subscription_id: UUID
    after: str
    status: str = Field(examples=["accepted"],
                        description="the replay is queued: deliveries follow within seconds")


class DeliveryOut(BaseModel):
    id: str = Field(examples=["1234:5678"],
                    description="The event's position: the webhook-id of every attempt")
    event_type: str = Field(examples=["LeadCaptured"])
    aggregate_id: UUID
    aggregate_version: int
    status: str = Field(examples=["pending"],
                        description="pending, delivered, failed (given up) or cancelled "
                                    "(the subscription was disabled)")
    attempts: int
    enqueued_at: datetime
    next_attempt_at: datetime | None
    first_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None = Field(description="the endpoint's last answer")
    last_error: str | None
    finished_at: datetime | None

    @classmethod
    def of(cls, view: DeliveryView) -> DeliveryOut:
        return cls(id=view.id, event_type=view.event_type, aggregate_id=view.aggregate_id,
                   aggregate_version=view.aggregate_version, status=view.status,
                   attempts=view.attempts, enqueued_at=view.enqueued_at,
                   next_attempt_at=view.next_attempt_at,
                   first_attempt_at=view.first_attempt_at,
                   last_attempt_at=view.last_attempt_at,
                   last_status_code=view.last_status_code, last_error=view.last_error,
                   finished_at=view.finished_at)


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class EventTypesOut(BaseModel):
    items: list[str] = Field(examples=[["CaseOpened", "LeadCaptured"]])
