"""The handlers of outbound webhooks, registered by command type (``command_handlers``).

Creating a subscription checks its URL against the target policy (SSRF) and its event types
against the catalog, and draws its secret; the others are load → call → stage. Removing a
subscription also destroys its data key, so its secret is unreadable from then on.
"""

from __future__ import annotations

import base64
import secrets

from application.aggregates import load_for_change
from application.bus import Handlers
from application.ports import CommandContext, UnitOfWork
from application.webhooks.catalog import EVENT_TYPES
from application.webhooks.commands import (
    CreateSubscription,
    DisableSubscription,
    EnableSubscription,
    RemoveSubscription,
    ReplaySubscription,
)
from application.webhooks.ports import WebhookTargets
from application.webhooks.views import CreatedSubscription, ReplayAccepted, SubscriptionView
from domain.shared.errors import InvalidValue
from domain.shared.ids import new_id
from domain.webhooks import WebhookSubscription, event_types_of, webhook_url

SECRET_BYTES = 32


def new_secret() -> str:
    """``whsec_`` and 32 random bytes in base64: the form Standard Webhooks libraries take."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class CreateSubscriptionHandler:
    def __init__(self, targets: WebhookTargets) -> None:
        self.targets = targets

    def __call__(self, command: CreateSubscription, uow: UnitOfWork,
                 ctx: CommandContext) -> CreatedSubscription:
        url = webhook_url(command.url)
        types = event_types_of(command.event_types)
        unknown = [name for name in types if name not in EVENT_TYPES]
        if unknown:
            raise InvalidValue("event_types", "unknown event types: " + ", ".join(unknown)
                               + " (GET /v1/webhook-subscriptions/event-types lists them)")
        self.targets.check(url)
        secret = new_secret()
        subscription = WebhookSubscription.create(
            subscription_id=new_id(), tenant_id=ctx.tenant_id, actor=ctx.actor, at=ctx.now,
            url=url, event_types=types, description=command.description, secret=secret)
        uow.add(subscription)
        return CreatedSubscription(SubscriptionView.of(subscription), secret)


def disable_subscription(command: DisableSubscription, uow: UnitOfWork,
                         ctx: CommandContext) -> SubscriptionView:
    subscription = load_for_change(uow, WebhookSubscription, command.subscription_id,
                                   command.expected_version)
    subscription.disable(actor=ctx.actor, at=ctx.now, reason=command.reason)
    uow.add(subscription)
    return SubscriptionView.of(subscription)


def enable_subscription(command: EnableSubscription, uow: UnitOfWork,
                        ctx: CommandContext) -> SubscriptionView:
    subscription = load_for_change(uow, WebhookSubscription, command.subscription_id,
                                   command.expected_version)
    subscription.enable(actor=ctx.actor, at=ctx.now)
    uow.add(subscription)
    return SubscriptionView.of(subscription)


def remove_subscription(command: RemoveSubscription, uow: UnitOfWork,
                        ctx: CommandContext) -> SubscriptionView:
    subscription = load_for_change(uow, WebhookSubscription, command.subscription_id,
                                   command.expected_version)
    subscription.remove(actor=ctx.actor, at=ctx.now)
    uow.add(subscription)
    uow.forget(subscription.id)  # the secret's key: unreadable from this commit on
    return SubscriptionView.of(subscription)


def replay_subscription(command: ReplaySubscription, uow: UnitOfWork,
                        ctx: CommandContext) -> ReplayAccepted:
    subscription = uow.get(WebhookSubscription, command.subscription_id)
    subscription.request_replay(actor=ctx.actor, at=ctx.now, after=command.after)
    uow.add(subscription)
    return ReplayAccepted(SubscriptionView.of(subscription), command.after.strip())


COMMAND_HANDLERS: Handlers = {
    DisableSubscription: disable_subscription, EnableSubscription: enable_subscription,
    RemoveSubscription: remove_subscription, ReplaySubscription: replay_subscription,
}


def command_handlers(targets: WebhookTargets) -> Handlers:
    return {**COMMAND_HANDLERS, CreateSubscription: CreateSubscriptionHandler(targets)}
