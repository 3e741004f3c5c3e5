"""The contact center's part of the composition root: a sub-container the main Container
includes (``Container.contact_center``), so the shared container gains only a few lines."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.postgres.database import DictPool
from adapters.readmodels.agent_performance import SqlPerformanceQueries
from adapters.readmodels.contact_center import SqlContactCenterQueries, SqlUserDirectory
from adapters.readmodels.contact_center_catalog import SqlCatalogQueries
from adapters.readmodels.contact_center_routing import SqlRoutingQueries
from adapters.readmodels.engine import ReadModelReader
from application.bus import CommandBus
from application.contact_center.agents import (
    ChangeAgentProfileHandler,
    ChangeAgentStatusHandler,
    RegisterAgentHandler,
    SetAgentShiftsHandler,
)
from application.contact_center.catalog import (
    AddDispositionHandler,
    CreateScriptHandler,
    RetireScriptHandler,
    ReviseScriptHandler,
)
from application.contact_center.dispatcher import Dispatcher
from application.contact_center.policies import (
    FollowUpOutcomePolicy,
    FollowUpTaskPolicy,
    HandoffTaskPolicy,
)
from application.contact_center.queues import ChangeQueueHandler, CreateQueueHandler
from application.contact_center.reservations import (
    ReserveTaskHandler,
    TimeOutReservationHandler,
)
from application.contact_center.service_level import (
    EnqueueDueTaskHandler,
    EscalateTaskHandler,
)
from application.contact_center.tasks import CreateTaskFromSourceHandler, CreateTaskHandler
from application.contact_center.timers import ContactCenterTimers
from application.contact_center.work import (
    AcceptTaskHandler,
    CancelTaskHandler,
    CloseFollowUpFromTaskHandler,
    CompleteTaskHandler,
    RecordTaskCsatHandler,
    RejectTaskHandler,
    StartWrapUpHandler,
    WithdrawTaskForSourceHandler,
)
from application.projections.agent_performance import AgentPerformanceProjection
from application.projections.contact_center_catalog import ContactCenterCatalogProjection
from application.projections.supervisor_overview import SupervisorOverviewProjection
from domain.ports import Clock


class ContactCenterContainer(containers.DeclarativeContainer):
    clock: providers.Dependency[Clock] = providers.Dependency()
    bus: providers.Dependency[CommandBus] = providers.Dependency()
    app_pool: providers.Dependency[DictPool] = providers.Dependency()
    worker_pool: providers.Dependency[DictPool] = providers.Dependency()
    route_on_arrival: providers.Dependency[bool] = providers.Dependency(default=True)

    # -- read side --------------------------------------------------------------------------
    reader = providers.Singleton(ReadModelReader, app_pool)
    queries = providers.Singleton(SqlContactCenterQueries, reader)
    routing = providers.Singleton(SqlRoutingQueries, reader, app_pool, worker_pool)
    catalog_queries = providers.Singleton(SqlCatalogQueries, reader)
    performance_queries = providers.Singleton(SqlPerformanceQueries, reader)
    users = providers.Singleton(SqlUserDirectory, reader)
    supervisor_projection = providers.Singleton(SupervisorOverviewProjection)
    performance_projection = providers.Singleton(AgentPerformanceProjection)
    catalog_projection = providers.Singleton(ContactCenterCatalogProjection)

    # -- command handlers -------------------------------------------------------------------
    register_agent = providers.Singleton(RegisterAgentHandler, clock, users)
    change_agent_profile = providers.Singleton(ChangeAgentProfileHandler, clock)
    set_agent_shifts = providers.Singleton(SetAgentShiftsHandler, clock)
    change_agent_status = providers.Singleton(ChangeAgentStatusHandler, clock)
    create_queue = providers.Singleton(CreateQueueHandler, clock)
    change_queue = providers.Singleton(ChangeQueueHandler, clock)
    create_task = providers.Singleton(CreateTaskHandler, clock, routing,
                                      route_on_arrival=route_on_arrival)
    create_task_from_source = providers.Singleton(CreateTaskFromSourceHandler, clock,
                                                  routing)
    reserve_task = providers.Singleton(ReserveTaskHandler, clock)
    accept_task = providers.Singleton(AcceptTaskHandler, clock)
    reject_task = providers.Singleton(RejectTaskHandler, clock)
    start_wrap_up = providers.Singleton(StartWrapUpHandler, clock)
    complete_task = providers.Singleton(CompleteTaskHandler, clock)
    cancel_task = providers.Singleton(CancelTaskHandler, clock)
    record_task_csat = providers.Singleton(RecordTaskCsatHandler, clock)
    time_out_reservation = providers.Singleton(TimeOutReservationHandler, clock)
    escalate_task = providers.Singleton(EscalateTaskHandler, clock)
    enqueue_due_task = providers.Singleton(EnqueueDueTaskHandler, clock)
    close_follow_up = providers.Singleton(CloseFollowUpFromTaskHandler, clock)
    withdraw_task = providers.Singleton(WithdrawTaskForSourceHandler, clock, routing)
    add_disposition = providers.Singleton(AddDispositionHandler, clock)
    create_script = providers.Singleton(CreateScriptHandler, clock)
    revise_script = providers.Singleton(ReviseScriptHandler, clock)
    retire_script = providers.Singleton(RetireScriptHandler, clock)

    # -- process managers -------------------------------------------------------------------
    dispatcher = providers.Singleton(Dispatcher, bus, routing, clock, reserve_task)
    timers = providers.Singleton(ContactCenterTimers, bus, routing, clock,
                                 time_out_reservation, escalate_task, enqueue_due_task)
    follow_up_tasks = providers.Singleton(FollowUpTaskPolicy, create_task_from_source)
    follow_up_outcomes = providers.Singleton(FollowUpOutcomePolicy, close_follow_up,
                                             withdraw_task)
    handoff_tasks = providers.Singleton(HandoffTaskPolicy, create_task_from_source)
