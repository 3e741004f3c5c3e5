"""Live event streams (ADR 0067): the tenant log (the port, on the API's pool and mapper),
the slots that bound open streams per tenant across processes, the process's hub that
follows the log once per tenant and fans it out to every open stream, and the AI answers
being written, for the web chat's visitors (ADR 0092)."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.postgres.database import DictPool
from adapters.projections.notify import CommitNotifier
from adapters.streams.answers import LiveAnswers
from adapters.streams.hub import StreamHub
from adapters.streams.slots import StreamSlots
from adapters.streams.tail import PostgresTenantLog
from entrypoints.settings import Settings


class StreamsContainer(containers.DeclarativeContainer):
    settings: providers.Dependency[Settings] = providers.Dependency()
    app_pool: providers.Dependency[DictPool] = providers.Dependency()
    mapper: providers.Dependency[PersonalDataMapper] = providers.Dependency()
    notifier: providers.Dependency[CommitNotifier] = providers.Dependency()
    listen_url: providers.Dependency[str] = providers.Dependency()

    tenant_log = providers.Singleton(PostgresTenantLog, app_pool, mapper)
    slots = providers.Singleton(StreamSlots, app_pool, settings.provided.streams_per_tenant)
    hub = providers.Singleton(StreamHub, tenant_log, notifier, listen_url=listen_url,
                              poll_interval=settings.provided.streams_poll_interval,
                              slots=slots)
    answers = providers.Singleton(LiveAnswers, listen_url)
