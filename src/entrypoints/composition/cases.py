"""Cases: quotes, invoices, payments (the payment gateway and Stripe's webhooks), proposals."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.documents.proposal_pdf import FpdfProposalRenderer
from adapters.payments.stripe_webhooks import StripeWebhooks
from adapters.readmodels.cases import SqlCaseQueries
from adapters.readmodels.engine import ReadModelReader
from adapters.resilience import VendorCircuits
from application.cases.handlers import command_handlers
from application.cases.opening import OpenCaseOnConversion
from entrypoints.payments import payment_gateway as build_payment_gateway
from entrypoints.settings import Settings


class CasesContainer(containers.DeclarativeContainer):
    settings: providers.Dependency[Settings] = providers.Dependency()
    circuits: providers.Dependency[VendorCircuits] = providers.Dependency()
    reader: providers.Dependency[ReadModelReader] = providers.Dependency()

    payment_gateway = providers.Singleton(build_payment_gateway, settings, circuits)
    handlers = providers.Callable(command_handlers, payment_gateway)
    stripe_webhooks = providers.Singleton(StripeWebhooks,
                                          settings.provided.stripe_webhook_secret,
                                          payment_gateway)
    proposal_renderer = providers.Singleton(FpdfProposalRenderer)
    queries = providers.Singleton(SqlCaseQueries, reader)
    open_case_on_conversion = providers.Singleton(OpenCaseOnConversion)
