"""Webhook subscriptions (admins): create (the secret shown once), list, read, disable,
enable, remove, replay from a position, and the deliveries of each."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, delete, get, post
from litestar.params import JSONBody, QueryParameter

from application.ports import StoredResponse
from application.webhooks import (
    EVENT_TYPES,
    CreatedSubscription,
    CreateSubscription,
    DisableSubscription,
    EnableSubscription,
    RemoveSubscription,
    ReplayAccepted,
    ReplaySubscription,
    SubscriptionQueries,
    SubscriptionView,
)
from domain.shared import NotFound
from entrypoints.http.commands import execute, if_match, stored, wait_for_own_writes
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Provided, Reads, Req
from entrypoints.http.security import ADMINS, roles
from entrypoints.http.webhooks_out.schemas import (
    DeliveryOut,
    DeliveryPage,
    EventTypesOut,
    ReasonIn,
    ReplayIn,
    ReplayOut,
    SubscriptionCreatedOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPage,
)

Subscriptions = Provided[SubscriptionQueries]
READ_MODELS = ("webhook_subscriptions",)
StatusFilter = Annotated[str | None, QueryParameter(pattern="^(active|disabled)$",
                                                    description="Subscription status")]
DeliveryStatus = Annotated[str | None, QueryParameter(
    pattern="^(pending|delivered|failed|cancelled)$", description="Delivery status")]


def _created(with_secret: bool) -> Any:
    def render(result: CreatedSubscription) -> StoredResponse:
        view = result.subscription
        body = SubscriptionCreatedOut(**SubscriptionOut.of(view).model_dump(),
                                      secret=result.secret if with_secret else None)
        return stored(201, body, {"ETag": f'"{view.version}"',
                                  "Location": f"/v1/webhook-subscriptions/{view.id}"})
    return render


def _view(view: SubscriptionView) -> StoredResponse:
    return stored(200, SubscriptionOut.of(view), {"ETag": f'"{view.version}"'})


def _removed(_: SubscriptionView) -> StoredResponse:
    return StoredResponse(status=204, body=b"")


def _replay(result: ReplayAccepted) -> StoredResponse:
    return stored(202, ReplayOut(subscription_id=result.subscription.id, after=result.after,
                                 status="accepted"))


class SubscriptionsController(Controller):
    path = "/v1/webhook-subscriptions"
    tags = ["subscriptions"]
    opt = roles(*ADMINS)

    @post("/", status_code=201, sync_to_thread=True, summary="Subscribe a URL to events",
          description="Events of the named types are POSTed to the URL as they are committed, "
                      "signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, "
                      "`webhook-signature`) with the secret in this answer, shown once. The "
                      "URL must be https (http only in development mode) and resolve to public "
                      "addresses only: private, loopback and link-local targets are a 422. "
                      "Accepts `Idempotency-Key` (a replayed answer has `secret: null`).")
    def create(self, request: Req, data: JSONBody[SubscriptionIn],
               bus: Bus) -> Response[SubscriptionCreatedOut]:
        command = CreateSubscription(url=data.url, event_types=data.event_types,
                                     description=data.description)
        return execute(request, bus, command, _created(False),  # type: ignore[return-value]
                       body=data, answer=_created(True))

    @get("/", sync_to_thread=True, summary="List webhook subscriptions",
         description="Newest first, cursor-paginated; never the secrets.")
    def page(self, request: Req, subscriptions: Subscriptions, reads: Reads,
             status: StatusFilter = None, limit: Limit = 50,
             cursor: Cursor = None) -> Response[SubscriptionPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        page = subscriptions.page(request.user.tenant_id, status=status, limit=limit,
                                  cursor=cursor)
        return Response(SubscriptionPage(items=[SubscriptionOut.of(v) for v in page.items],
                                         next_cursor=page.next_cursor), headers=headers)

    @get("/event-types", sync_to_thread=False, summary="Event types one may subscribe to")
    def event_types(self) -> EventTypesOut:
        return EventTypesOut(items=list(EVENT_TYPES))

    @get("/{subscription_id:uuid}", sync_to_thread=True, summary="Get a webhook subscription")
    def get_one(self, request: Req, subscription_id: Id, subscriptions: Subscriptions,
                reads: Reads) -> Response[SubscriptionOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = subscriptions.one(request.user.tenant_id, subscription_id)
        if view is None:
            raise NotFound("webhook subscription not found")
        return Response(SubscriptionOut.of(view),
                        headers={**headers, "ETag": f'"{view.version}"'})

    @delete("/{subscription_id:uuid}", status_code=204, sync_to_thread=True,
            summary="Remove a webhook subscription",
            description="Nothing more is delivered, waiting deliveries are dropped and the "
                        "secret is destroyed. Accepts `If-Match`.")
    def remove(self, request: Req, subscription_id: Id, bus: Bus) -> Response[None]:
        command = RemoveSubscription(subscription_id, if_match(request))
        return execute(request, bus, command, _removed, body=None)  # type: ignore[return-value]

    @post("/{subscription_id:uuid}/disable", status_code=200, sync_to_thread=True,
          summary="Disable a webhook subscription",
          description="Deliveries stop; waiting ones are cancelled (replay them after "
                      "enabling). Frontdesk disables a subscription itself when a delivery "
                      "has failed for days. Accepts `If-Match`.")
    def disable(self, request: Req, subscription_id: Id, data: JSONBody[ReasonIn],
                bus: Bus) -> Response[SubscriptionOut]:
        command = DisableSubscription(subscription_id, data.reason, if_match(request))
        return execute(request, bus, command, _view, body=data)  # type: ignore[return-value]

    @post("/{subscription_id:uuid}/enable", status_code=200, sync_to_thread=True,
          summary="Enable a webhook subscription again",
          description="Events committed from now on are delivered; replay the time it was "
                      "disabled from the position of its first cancelled or failed delivery. "
                      "Accepts `If-Match`.")
    def enable(self, request: Req, subscription_id: Id, bus: Bus) -> Response[SubscriptionOut]:
        command = EnableSubscription(subscription_id, if_match(request))
        return execute(request, bus, command, _view, body=None)  # type: ignore[return-value]

    @post("/{subscription_id:uuid}/replay", status_code=202, sync_to_thread=True,
          summary="Deliver events again from a position",
          description="Every subscribed event committed after `after` (a position TX:ID, "
                      "e.g. a delivery's `webhook-id`) and before this request is delivered "
                      "again, in order per resource, with its original `webhook-id`.")
    def replay(self, request: Req, subscription_id: Id, data: JSONBody[ReplayIn],
               bus: Bus) -> Response[ReplayOut]:
        command = ReplaySubscription(subscription_id, data.after)
        return execute(request, bus, command, _replay, body=data)  # type: ignore[return-value]

    @get("/{subscription_id:uuid}/deliveries", sync_to_thread=True,
         summary="Deliveries of a subscription",
         description="Newest event first: status, attempts, the endpoint's last answer, the "
                     "next attempt of a pending one.")
    def deliveries(self, request: Req, subscription_id: Id, subscriptions: Subscriptions,
                   reads: Reads, status: DeliveryStatus = None, limit: Limit = 50,
                   cursor: Cursor = None) -> Response[DeliveryPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        tenant_id = request.user.tenant_id
        if subscriptions.one(tenant_id, subscription_id) is None:
            raise NotFound("webhook subscription not found")
        page = subscriptions.deliveries(tenant_id, subscription_id, status=status, limit=limit,
                                        cursor=cursor)
        return Response(DeliveryPage(items=[DeliveryOut.of(v) for v in page.items],
                                     next_cursor=page.next_cursor), headers=headers)
