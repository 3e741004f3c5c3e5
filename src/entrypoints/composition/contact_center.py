"""The contact center: agents, queues, tasks and routing, its read models and processes."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.postgres.database import DictPool
from adapters.readmodels.agent_performance import SqlPerformanceQueries
from adapters.readmodels.contact_center import SqlContactCenterQueries, SqlUserDirectory
from adapters.readmodels.contact_center_catalog import SqlCatalogQueries
from adapters.readmodels.contact_center_routing import SqlRoutingQueries
from adapters.readmodels.engine import ReadModelReader
from application.bus import CommandBus
from application.contact_center.dispatcher import Dispatcher
from application.contact_center.handlers import command_handlers
from application.contact_center.policies import (
    FollowUpOutcomePolicy,
    FollowUpTaskPolicy,
    HandoffTaskPolicy,
)
from application.contact_center.timers import ContactCenterTimers
from application.projections.agent_performance import AgentPerformanceProjection
from application.projections.contact_center_catalog import ContactCenterCatalogProjection
from application.projections.supervisor_overview import SupervisorOverviewProjection
from domain.ports import Clock


class ContactCenterContainer(containers.DeclarativeContainer):
    clock: providers.Dependency[Clock] = providers.Dependency()
    bus: providers.Dependency[CommandBus] = providers.Dependency()
    app_pool: providers.Dependency[DictPool] = providers.Dependency()
    worker_pool: providers.Dependency[DictPool] = providers.Dependency()
    reader: providers.Dependency[ReadModelReader] = providers.Dependency()
    mapper: providers.Dependency[PersonalDataMapper] = providers.Dependency()
    route_on_arrival: providers.Dependency[bool] = providers.Dependency(default=True)

    # -- read side --------------------------------------------------------------------------
    queries = providers.Singleton(SqlContactCenterQueries, reader)
    routing = providers.Singleton(SqlRoutingQueries, reader, app_pool, worker_pool)
    catalog_queries = providers.Singleton(SqlCatalogQueries, reader)
    # As of a past moment, the report is read as the API's role and the tenant (ADR 0072, 0091).
    performance_queries = providers.Singleton(SqlPerformanceQueries, reader, app_pool, mapper)
    users = providers.Singleton(SqlUserDirectory, reader)
    supervisor_projection = providers.Singleton(SupervisorOverviewProjection)
    performance_projection = providers.Singleton(AgentPerformanceProjection)
    catalog_projection = providers.Singleton(ContactCenterCatalogProjection)

    handlers = providers.Callable(command_handlers, users, routing, routing, routing,
                                  route_on_arrival=route_on_arrival)

    # -- process managers -------------------------------------------------------------------
    dispatcher = providers.Singleton(Dispatcher, bus, routing, clock)
    timers = providers.Singleton(ContactCenterTimers, bus, routing, clock)
    follow_up_tasks = providers.Singleton(FollowUpTaskPolicy)
    follow_up_outcomes = providers.Singleton(FollowUpOutcomePolicy)
    handoff_tasks = providers.Singleton(HandoffTaskPolicy)
