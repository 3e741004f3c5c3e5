"""The contact center: agents, queues with SLAs, tasks and routing, dispositions, scripts and
the supervisor's live view."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from entrypoints.container import Container
from entrypoints.http.contact_center.agents import AgentsController
from entrypoints.http.contact_center.queues import QueuesController
from entrypoints.http.contact_center.scripts import DispositionsController, ScriptsController
from entrypoints.http.contact_center.supervisor import SupervisorController
from entrypoints.http.contact_center.tasks import TasksController
from entrypoints.http.slices import Slice


def _provide(root: Container) -> dict[str, object]:
    center = root.contact_center
    return {"center": center.queries(), "catalog": center.catalog_queries(),
            "clock": root.clock()}


SLICE = Slice(
    "contact center",
    [AgentsController, QueuesController, TasksController, DispositionsController,
     ScriptsController, SupervisorController],
    [Tag(name="contact center", description="Agents, queues with SLAs, tasks and routing, "
                                            "dispositions, scripts, supervisor view, agent "
                                            "performance")],
    provide=_provide)
