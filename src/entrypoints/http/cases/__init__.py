"""Cases: quotes, invoices, payments and refunds, the proposal PDF, and Stripe's webhooks."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.openapi.spec import Tag

from adapters.payments.stripe_webhooks import InvalidSignature, WebhooksNotConfigured
from application.cases.ports import PaymentProviderUnavailable
from entrypoints.container import Container
from entrypoints.http.cases.paid import PaidController
from entrypoints.http.cases.routes import CasesController
from entrypoints.http.cases.stripe import StripeWebhooksController
from entrypoints.http.problems import problem
from entrypoints.http.slices import Slice


def _provider_down(_: Request[Any, Any, Any],
                   down: PaymentProviderUnavailable) -> Response[dict[str, Any]]:
    """Nothing was recorded; the client (or Stripe) retries."""
    return problem(503, None, down.message, headers={"Retry-After": str(down.retry_after)})


def _provide(root: Container) -> dict[str, object]:
    cases = root.cases
    return {"cases": cases.queries(), "proposals": cases.proposal_renderer(),
            "stripe": cases.stripe_webhooks()}


SLICE = Slice(
    "cases", [CasesController, StripeWebhooksController, PaidController],
    [Tag(name="cases", description="Quotes, invoices, payments, refunds"),
     Tag(name="webhooks", description="Signed callbacks: Stripe, Twilio, inbound email")],
    provide=_provide,
    problems={PaymentProviderUnavailable: _provider_down,
              InvalidSignature: lambda _, bad: problem(400, None, str(bad)),
              WebhooksNotConfigured: lambda _, off: problem(503, None, str(off))})
