"""The contact center's part of the HTTP app: its controllers, its dependency and its tag
(``create_app`` adds them)."""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import Tag

from entrypoints.container import Container
from entrypoints.http.contact_center_deps import ContactCenterHandlers
from entrypoints.http.deps import Constant
from entrypoints.http.routes.agents import AgentsController
from entrypoints.http.routes.queues import QueuesController
from entrypoints.http.routes.scripts import DispositionsController, ScriptsController
from entrypoints.http.routes.supervisor import AgentAnalyticsController, SupervisorController
from entrypoints.http.routes.tasks import TasksController

CONTROLLERS = [AgentsController, QueuesController, TasksController, DispositionsController,
               ScriptsController, SupervisorController, AgentAnalyticsController]
TAG = Tag(name="contact center", description="Agents, queues with SLAs, tasks and routing, "
                                             "dispositions, scripts, supervisor view, agent "
                                             "performance")


def dependencies(container: Container) -> dict[str, Any]:
    handlers = ContactCenterHandlers.build(container.contact_center)
    return {"cc": Constant(handlers)}
