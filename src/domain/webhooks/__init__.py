"""Outbound webhooks: a tenant's subscriptions to its own events, delivered signed to its URL."""

from domain.webhooks.subscription import (
    SubscriptionStatus,
    WebhookSubscription,
    event_types_of,
    position_text,
    webhook_url,
)

__all__ = ["SubscriptionStatus", "WebhookSubscription", "event_types_of", "position_text",
           "webhook_url"]
