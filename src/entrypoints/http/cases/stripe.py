"""Inbound webhooks from payment providers. Public routes: each verifies its own signature."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from litestar import Controller, Response, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import RawBody

from adapters.payments.stripe_webhooks import Ignored, StripeWebhooks
from application.bus import Executed
from application.ports import CommandContext
from domain.shared import NotFound, StaleVersion
from entrypoints.http.cases.schemas import WebhookOut
from entrypoints.http.commands import POSITION_HEADER
from entrypoints.http.deps import Bus, Provided, Req

ACTOR = "system:stripe-webhook"
log = logging.getLogger("frontdesk.webhooks")


@dataclass
class StripeEventBody(Operation):
    """A dataclass again, so that its generated __init__ calls __post_init__ (without the
    decorator the request body below never reached the document)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, description="A Stripe event, exactly as Stripe sent it (the "
                                       "signature covers the raw bytes).",
            content={"application/json": OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.OBJECT),
                example={"id": "evt_1", "type": "payment_intent.succeeded",
                         "data": {"object": {"id": "pi_1", "object": "payment_intent",
                                             "amount_received": 25000, "currency": "eur",
                                             "metadata": {
                                                 "frontdesk_tenant_id": "<uuid>",
                                                 "frontdesk_case_id": "<uuid>",
                                                 "frontdesk_invoice_id": "<uuid>"}}}})})


class StripeWebhooksController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]
    opt = {"public": True}

    @post("/stripe", status_code=200, sync_to_thread=True, security=[],
          operation_class=StripeEventBody, summary="Stripe events",
          description="Verifies `Stripe-Signature` (`t=<unix time>,v1=<hex HMAC-SHA256 of "
                      "\"<t>.<raw body>\" under STRIPE_WEBHOOK_SECRET>`, 300 s tolerance) with "
                      "the Stripe SDK: a missing, wrong or expired signature is a 400 and "
                      "nothing is recorded. `payment_intent.succeeded` and "
                      "`checkout.session.completed` record a payment, `charge.refunded` its "
                      "refunds, `charge.dispute.created` a dispute, on the case named by the "
                      "metadata `frontdesk_tenant_id` / `frontdesk_case_id` / "
                      "`frontdesk_invoice_id`. Idempotent on the Stripe event id and on the "
                      "payment, refund and dispute ids: redeliveries answer `duplicate`. "
                      "Other events are acknowledged as `ignored`. 503 (Stripe retries) when "
                      "webhooks are not configured or Stripe cannot be asked for metadata.")
    def stripe(self, request: Req, body: RawBody,
               stripe: Provided[StripeWebhooks], bus: Bus) -> Response[WebhookOut]:
        event = stripe.verify(body, request.headers.get("stripe-signature"))
        mapped = stripe.translate(event)
        if isinstance(mapped, Ignored):
            return Response(WebhookOut(event_id=mapped.event_id, outcome="ignored",
                                       detail=mapped.reason))
        ctx = CommandContext(tenant_id=mapped.tenant_id, actor=ACTOR)
        for attempt in range(5):  # concurrent deliveries of one event race on the case
            try:
                outcome = bus.execute(mapped.command, ctx)
                break
            except StaleVersion:
                if attempt == 4:
                    raise
            except NotFound:
                log.warning("stripe event %s names an unknown case", mapped.event_id)
                return Response(WebhookOut(event_id=mapped.event_id, outcome="ignored",
                                           detail="no such case for this tenant"))
        assert isinstance(outcome, Executed)
        result = outcome.result
        return Response(WebhookOut(event_id=mapped.event_id, outcome=result.status,
                                   detail=result.detail or None),
                        headers={POSITION_HEADER: outcome.position})
