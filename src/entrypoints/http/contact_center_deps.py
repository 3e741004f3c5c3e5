"""What contact-center route handlers receive: the handlers, queries and clock of the
contact center, grouped (built from ``Container.contact_center``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException

from application.contact_center import agents, catalog, queues, reservations, tasks, work
from application.contact_center.views import (
    CatalogQueries,
    ContactCenterQueries,
    PerformanceQueries,
)
from domain.ports import Clock
from entrypoints.http.security import SUPERVISORS, Principal


@dataclass(frozen=True)
class ContactCenterHandlers:
    register_agent: agents.RegisterAgentHandler
    change_agent_profile: agents.ChangeAgentProfileHandler
    set_agent_shifts: agents.SetAgentShiftsHandler
    change_agent_status: agents.ChangeAgentStatusHandler
    create_queue: queues.CreateQueueHandler
    change_queue: queues.ChangeQueueHandler
    create_task: tasks.CreateTaskHandler
    accept_task: work.AcceptTaskHandler
    reject_task: work.RejectTaskHandler
    start_wrap_up: work.StartWrapUpHandler
    complete_task: work.CompleteTaskHandler
    cancel_task: work.CancelTaskHandler
    record_task_csat: work.RecordTaskCsatHandler
    add_disposition: catalog.AddDispositionHandler
    create_script: catalog.CreateScriptHandler
    revise_script: catalog.ReviseScriptHandler
    retire_script: catalog.RetireScriptHandler
    reserve_task: reservations.ReserveTaskHandler
    queries: ContactCenterQueries
    catalog: CatalogQueries
    performance: PerformanceQueries
    clock: Clock

    @classmethod
    def build(cls, sub: Any) -> ContactCenterHandlers:
        """From the contact-center sub-container."""
        return cls(**{name: getattr(sub, {"catalog": "catalog_queries",
                                          "performance": "performance_queries"}.get(name, name))()
                      for name in cls.__dataclass_fields__})


ContactCenter = NamedDependency[ContactCenterHandlers]


def acting_agent(request: Request[Principal, Any, Any]) -> UUID | None:
    """A supervisor or admin acts for any agent (None); anyone else acts as themselves."""
    principal = request.user
    return None if principal.roles & SUPERVISORS else principal.user_id


def require_self_or_supervisor(request: Request[Principal, Any, Any], agent_id: UUID) -> None:
    agent = acting_agent(request)
    if agent is not None and agent != agent_id:
        raise PermissionDeniedException("agents may change only their own status")
