"""The supervisor's wall: every queue's waiting tasks, oldest wait, SLA today and breaches, and
the agents by status; the same read model as GET /v1/supervisor/overview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, get
from litestar.params import QueryParameter
from litestar.response import Template

from application.contact_center.views import ContactCenterQueries, TaskFilters
from domain.ports import Clock
from entrypoints.http.console.pages import PAGE_ERRORS, page
from entrypoints.http.deps import Provided, Req
from entrypoints.http.security import ANALYSTS, CONSOLE, roles

WAITING_SHOWN = 5
QUEUES_PER_PAGE = 12
Page = Annotated[int, QueryParameter(name="page", ge=1, le=10_000)]


@dataclass(frozen=True)
class WallReads:
    center: ContactCenterQueries
    clock: Clock

    def wall(self, tenant_id: UUID, page: int = 1) -> dict[str, Any]:
        """The summary of every queue, and one page of queue cards (the overview's order)."""
        overview = self.center.overview(tenant_id, self.clock.now())
        pages = max(1, -(-len(overview.queues) // QUEUES_PER_PAGE))
        page = min(max(page, 1), pages)
        shown = overview.queues[(page - 1) * QUEUES_PER_PAGE:page * QUEUES_PER_PAGE]
        waiting = {q.id: self.center.tasks(tenant_id, TaskFilters(status="queued", queue_id=q.id),
                                           limit=WAITING_SHOWN, cursor=None).items
                   for q in shown if q.waiting}
        return {"overview": overview, "queues": shown, "page": page, "pages": pages,
                "waiting": waiting}


class WallController(Controller):
    path = f"{CONSOLE}/wall"
    opt = roles(*ANALYSTS)
    include_in_schema = False
    exception_handlers = PAGE_ERRORS

    @get("/", sync_to_thread=True)
    def wall(self, request: Req, wall: Provided[WallReads], page_number: Page = 1) -> Template:
        return page("wall.html", request, section="wall",
                    **wall.wall(request.user.tenant_id, page_number))
