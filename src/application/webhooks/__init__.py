"""Outbound webhooks: subscriptions (commands, handlers), the enqueuer that follows the log,
and the dispatcher that sends signed deliveries with retries (ADR 0068)."""

from application.webhooks.catalog import EVENT_TYPES
from application.webhooks.commands import (
    CreateSubscription,
    DisableSubscription,
    EnableSubscription,
    RemoveSubscription,
    ReplaySubscription,
)
from application.webhooks.handlers import command_handlers
from application.webhooks.ports import TargetRefused
from application.webhooks.views import (
    CreatedSubscription,
    DeliveryView,
    ReplayAccepted,
    SubscriptionQueries,
    SubscriptionView,
)

__all__ = ["EVENT_TYPES", "CreateSubscription", "CreatedSubscription", "DeliveryView",
           "DisableSubscription", "EnableSubscription", "RemoveSubscription", "ReplayAccepted",
           "ReplaySubscription", "SubscriptionQueries", "SubscriptionView", "TargetRefused",
           "command_handlers"]
