"""The supervisor's wall: every queue's waiting tasks, oldest wait, SLA today and breaches, and
the agents by status; the same read model as GET /v1/supervisor/overview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Controller, get
from litestar.response import Template

from application.contact_center.views import ContactCenterQueries, TaskFilters
from domain.ports import Clock
from entrypoints.http.console.pages import PAGE_ERRORS, page
from entrypoints.http.deps import Provided, Req
from entrypoints.http.security import ANALYSTS, CONSOLE, roles

WAITING_SHOWN = 5


@dataclass(frozen=True)
class WallReads:
    center: ContactCenterQueries
    clock: Clock

    def wall(self, tenant_id: UUID) -> dict[str, Any]:
        overview = self.center.overview(tenant_id, self.clock.now())
        waiting = {q.id: self.center.tasks(tenant_id, TaskFilters(status="queued", queue_id=q.id),
                                           limit=WAITING_SHOWN, cursor=None).items
                   for q in overview.queues if q.waiting}
        return {"overview": overview, "waiting": waiting}


class WallController(Controller):
    path = f"{CONSOLE}/wall"
    opt = roles(*ANALYSTS)
    include_in_schema = False
    exception_handlers = PAGE_ERRORS

    @get("/", sync_to_thread=True)
    def wall(self, request: Req, wall: Provided[WallReads]) -> Template:
        return page("wall.html", request, section="wall", **wall.wall(request.user.tenant_id))
