"""Outbound webhooks: subscriptions of a tenant's URLs to its events, and their deliveries
(ADR 0068). Not the ``webhooks`` tag: that one is for the vendors' inbound webhooks."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from entrypoints.container import Container
from entrypoints.http.slices import Slice
from entrypoints.http.webhooks_out.subscriptions import SubscriptionsController


def _provide(root: Container) -> dict[str, object]:
    return {"subscriptions": root.webhooks.queries()}


SLICE = Slice(
    "webhooks_out", [SubscriptionsController],
    [Tag(name="subscriptions",
         description="Outbound webhooks: signed deliveries of your events to your URLs")],
    provide=_provide)
