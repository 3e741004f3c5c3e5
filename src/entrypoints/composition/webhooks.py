"""Outbound webhooks: subscriptions (handlers with the target policy), the enqueuer (a log
consumer), the dispatcher (run by the runtime under its own claim) and the queries."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.postgres.database import DictPool
from adapters.readmodels.engine import ReadModelReader
from adapters.readmodels.webhooks import SqlSubscriptionQueries
from adapters.webhooks.payloads import LogPayloads
from adapters.webhooks.queue import PostgresDeliveryQueue
from adapters.webhooks.sender import HttpWebhookSender
from adapters.webhooks.targets import UrlTargets
from application.bus import CommandBus
from application.ports import UnitOfWorkFactory
from application.projections.webhook_subscriptions import WebhookSubscriptionsProjection
from application.webhooks.circuits import EndpointCircuits
from application.webhooks.dispatch import WebhookDispatcher
from application.webhooks.enqueue import WebhookEnqueuer
from application.webhooks.handlers import command_handlers
from application.webhooks.schedule import RetrySchedule
from domain.ports import Clock
from entrypoints.settings import Settings


class WebhooksContainer(containers.DeclarativeContainer):
    settings: providers.Dependency[Settings] = providers.Dependency()
    clock: providers.Dependency[Clock] = providers.Dependency()
    bus: providers.Dependency[CommandBus] = providers.Dependency()
    unit_of_work: providers.Dependency[UnitOfWorkFactory] = providers.Dependency()
    worker_pool: providers.Dependency[DictPool] = providers.Dependency()
    worker_mapper: providers.Dependency[PersonalDataMapper] = providers.Dependency()
    reader: providers.Dependency[ReadModelReader] = providers.Dependency()

    targets = providers.Singleton(UrlTargets,
                                  https_only=settings.provided.webhooks_https_only,
                                  allow_private=settings.provided.webhooks_allow_private)
    handlers = providers.Callable(command_handlers, targets)
    queries = providers.Singleton(SqlSubscriptionQueries, reader)
    projection = providers.Singleton(WebhookSubscriptionsProjection)

    queue = providers.Singleton(PostgresDeliveryQueue, worker_pool)
    payloads = providers.Singleton(LogPayloads, worker_pool, worker_mapper)
    sender = providers.Singleton(HttpWebhookSender, targets,
                                 timeout=settings.provided.webhooks_timeout)
    schedule = providers.Singleton(RetrySchedule, base=settings.provided.webhooks_retry_base,
                                   cap=settings.provided.webhooks_retry_cap,
                                   give_up_after=settings.provided.webhooks_give_up_after)
    circuits = providers.Singleton(EndpointCircuits,
                                   fail_max=settings.provided.webhooks_circuit_failures,
                                   reset_timeout=settings.provided.webhooks_circuit_reset)
    dispatcher = providers.Singleton(
        WebhookDispatcher, queue, payloads, sender, unit_of_work, bus, clock,
        schedule=schedule, circuits=circuits, timeout=settings.provided.webhooks_timeout,
        senders=settings.provided.webhooks_senders,
        poll=settings.provided.webhooks_poll_interval,
        retention_days=settings.provided.webhooks_retention_days)
    enqueuer = providers.Singleton(WebhookEnqueuer, queue, enqueued=dispatcher.provided.poke)
