"""The webhook_subscriptions read model: what ``GET /v1/webhook-subscriptions`` lists. Never
the secret: its handlers do not even decrypt it (``uses_personal_data=False``)."""

from __future__ import annotations

from typing import Any

from application.projections.base import Projection, ViewRows, by_originator
from domain.webhooks import SubscriptionStatus, WebhookSubscription

TABLE = "webhook_subscriptions"
_KEYS = by_originator(TABLE)


class WebhookSubscriptionsProjection(Projection):
    name = "webhook_subscriptions"
    version = 1
    tables = (TABLE,)

    def __init__(self) -> None:
        super().__init__()
        self.on(WebhookSubscription.SubscriptionCreated, self._created, _KEYS,
                uses_personal_data=False)
        self.on(WebhookSubscription.SubscriptionDisabled, self._disabled, _KEYS,
                uses_personal_data=False)
        self.on(WebhookSubscription.SubscriptionEnabled, self._enabled, _KEYS,
                uses_personal_data=False)
        self.on(WebhookSubscription.ReplayRequested, self._replay, _KEYS,
                uses_personal_data=False)
        self.on(WebhookSubscription.SubscriptionRemoved, self._removed, _KEYS,
                uses_personal_data=False)

    @staticmethod
    def _created(event: WebhookSubscription.SubscriptionCreated, rows: ViewRows) -> None:
        rows.put(TABLE, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id, "url": event.url,
            "event_types": list(event.event_types), "description": event.description,
            "status": SubscriptionStatus.ACTIVE.value, "disabled_reason": None,
            "last_replay_after": None, "created_by": event.actor,
            "version": event.originator_version, "created_at": event.timestamp,
            "updated_at": event.timestamp})

    @staticmethod
    def _change(event: Any, rows: ViewRows, **changes: Any) -> None:
        key = (event.tenant_id, event.originator_id)
        row = rows.get(TABLE, key)
        if row is not None:
            rows.put(TABLE, key, {**row, **changes, "version": event.originator_version,
                                  "updated_at": event.timestamp})

    @classmethod
    def _disabled(cls, event: WebhookSubscription.SubscriptionDisabled,
                  rows: ViewRows) -> None:
        cls._change(event, rows, status=SubscriptionStatus.DISABLED.value,
                    disabled_reason=event.reason)

    @classmethod
    def _enabled(cls, event: WebhookSubscription.SubscriptionEnabled, rows: ViewRows) -> None:
        cls._change(event, rows, status=SubscriptionStatus.ACTIVE.value, disabled_reason=None)

    @classmethod
    def _replay(cls, event: WebhookSubscription.ReplayRequested, rows: ViewRows) -> None:
        cls._change(event, rows, last_replay_after=event.after)

    @staticmethod
    def _removed(event: WebhookSubscription.SubscriptionRemoved, rows: ViewRows) -> None:
        rows.delete(TABLE, (event.tenant_id, event.originator_id))
