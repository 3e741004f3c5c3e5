"""A tenant's subscription to its own events: where they are POSTed (a URL), which ones (event
types), and the secret they are signed with (Standard Webhooks).

The secret is a personal field of the creation event: the mapper seals it under the
subscription's own data key (the subscription is its own data subject), so it is never stored
in the clear, ``frontdesk keys rotate`` re-wraps it with every other key, and removing the
subscription destroys the key: the secret is then unreadable everywhere, backups included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import event

from domain.shared.aggregate import TenantAggregate
from domain.shared.errors import InvalidValue, NotFound, RuleViolated
from domain.shared.values import bounded_text

MAX_URL = 2000
MAX_EVENT_TYPES = 100
_POSITION = re.compile(r"^\d{1,20}:\d{1,20}$")
_EVENT_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,99}$")


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    REMOVED = "removed"


def webhook_url(value: str) -> str:
    """An absolute http(s) URL with a host, no credentials and no fragment. Whether plain http
    and the address it names are acceptable is the application's policy (``WebhookTargets``)."""
    text = (value or "").strip()
    if not text or len(text) > MAX_URL:
        raise InvalidValue("url", f"a URL of 1-{MAX_URL} characters is required")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidValue("url", "not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidValue("url", "must be an http(s) URL")
    if not parts.hostname:
        raise InvalidValue("url", "must name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidValue("url", "must not carry credentials (user:password@)")
    if parts.fragment:
        raise InvalidValue("url", "must not have a #fragment")
    if port == 0:
        raise InvalidValue("url", "port 0 is not a port")
    if any(c.isspace() or ord(c) < 0x20 for c in text):
        raise InvalidValue("url", "must not contain spaces or control characters")
    return text


def event_types_of(values: Sequence[str]) -> list[str]:
    """1-100 distinct event type names (``LeadCaptured``), in the order given."""
    if not values:
        raise InvalidValue("event_types", "name at least one event type")
    cleaned: list[str] = []
    for raw in values:
        name = (raw or "").strip()
        if not _EVENT_TYPE.match(name):
            raise InvalidValue("event_types", f"not an event type name: {raw!r}")
        if name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_EVENT_TYPES:
        raise InvalidValue("event_types", f"at most {MAX_EVENT_TYPES} event types")
    return cleaned


def position_text(value: str) -> str:
    """A position in the event log as ``TX:ID`` (what ``X-Frontdesk-Position``-style positions,
    ``frontdesk events dump`` and every delivery's ``webhook-id`` show)."""
    text = (value or "").strip()
    if not _POSITION.match(text):
        raise InvalidValue("after", "a position is written TX:ID, e.g. 1234:5678")
    return text


class WebhookSubscription(TenantAggregate):
    class SubscriptionCreated(TenantAggregate.Created):
        url: str
        event_types: list[str]
        description: str | None
        secret: str
        personal = frozenset({"secret"})

    class SubscriptionDisabled(TenantAggregate.Event):
        reason: str

    class SubscriptionEnabled(TenantAggregate.Event):
        pass

    class SubscriptionRemoved(TenantAggregate.Event):
        pass

    class ReplayRequested(TenantAggregate.Event):
        after: str

    @classmethod
    def create(cls, *, subscription_id: UUID, tenant_id: UUID, actor: str, at: datetime,
               url: str, event_types: Sequence[str], description: str | None,
               secret: str) -> WebhookSubscription:
        if not secret.startswith("whsec_"):
            raise InvalidValue("secret", "a signing secret is written whsec_<base64>")
        return cls._create(cls.SubscriptionCreated, id=subscription_id, tenant_id=tenant_id,
                           actor=actor, timestamp=at, url=webhook_url(url),
                           event_types=event_types_of(event_types),
                           description=bounded_text("description", description, limit=500),
                           secret=secret)

    def __init__(self, *, tenant_id: UUID, url: str, event_types: list[str],
                 description: str | None, secret: str, timestamp: datetime) -> None:
        self.tenant_id = tenant_id
        self.url = url
        self.event_types = tuple(event_types)
        self.description = description
        self.secret = secret
        self.status = SubscriptionStatus.ACTIVE
        self.disabled_reason: str | None = None
        self.created_at = self.updated_at = timestamp

    @property
    def subject_id(self) -> UUID:
        """Its own data subject: the secret is sealed under a key of its own."""
        return self.id

    def _present(self) -> None:
        if self.status is SubscriptionStatus.REMOVED:
            raise NotFound("webhook subscription not found")

    def disable(self, *, actor: str, at: datetime, reason: str) -> None:
        """No more deliveries; what was waiting is cancelled (replay it after enabling)."""
        self._present()
        if self.status is SubscriptionStatus.DISABLED:
            raise RuleViolated("this subscription is disabled already")
        text = bounded_text("reason", reason, limit=500) or "disabled"
        self._disabled(actor=actor, timestamp=at, reason=text)

    @event(SubscriptionDisabled)
    def _disabled(self, actor: str, timestamp: datetime, reason: str) -> None:
        self.status = SubscriptionStatus.DISABLED
        self.disabled_reason = reason
        self.updated_at = timestamp

    def enable(self, *, actor: str, at: datetime) -> None:
        """Events committed from now on are delivered; those of the disabled time are not,
        unless replayed."""
        self._present()
        if self.status is SubscriptionStatus.ACTIVE:
            raise RuleViolated("this subscription is enabled already")
        self._enabled(actor=actor, timestamp=at)

    @event(SubscriptionEnabled)
    def _enabled(self, actor: str, timestamp: datetime) -> None:
        self.status = SubscriptionStatus.ACTIVE
        self.disabled_reason = None
        self.updated_at = timestamp

    def remove(self, *, actor: str, at: datetime) -> None:
        self._present()
        self._removed(actor=actor, timestamp=at)

    @event(SubscriptionRemoved)
    def _removed(self, actor: str, timestamp: datetime) -> None:
        self.status = SubscriptionStatus.REMOVED
        self.updated_at = timestamp

    def request_replay(self, *, actor: str, at: datetime, after: str) -> None:
        """Deliver again every subscribed event committed after ``after`` (a position) and
        before this request; later ones are delivered as they come."""
        self._present()
        if self.status is not SubscriptionStatus.ACTIVE:
            raise RuleViolated("a disabled subscription is not delivered to: enable it first")
        self._replay_requested(actor=actor, timestamp=at, after=position_text(after))

    @event(ReplayRequested)
    def _replay_requested(self, actor: str, timestamp: datetime, after: str) -> None:
        self.updated_at = timestamp
