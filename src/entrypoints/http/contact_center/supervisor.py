"""The supervisor's live view of queues and agents."""

from __future__ import annotations

from litestar import Controller, Response, get

from application.contact_center.views import ContactCenterQueries
from domain.ports import Clock
from entrypoints.http.commands import wait_for_own_writes
from entrypoints.http.contact_center.schemas import OverviewOut
from entrypoints.http.deps import Provided, Reads, Req
from entrypoints.http.security import ANALYSTS, roles


class SupervisorController(Controller):
    path = "/v1/supervisor"
    tags = ["contact center"]
    opt = roles(*ANALYSTS)

    @get("/overview", sync_to_thread=True, summary="The supervisor's live view",
         description="Per queue: waiting, scheduled, reserved and in-progress tasks, the "
                     "oldest wait, today's SLA attainment (met / (met + missed) since midnight "
                     "UTC; ADR 0031), breaches today, and the queue's skilled agents by "
                     "status; and every agent by status. A projection of the events: the "
                     "same after any restart (ADR 0032).")
    def overview(self, request: Req, center: Provided[ContactCenterQueries],
                 clock: Provided[Clock], reads: Reads) -> Response[OverviewOut]:
        headers = wait_for_own_writes(request, reads.gate, ("supervisor_overview",),
                                      reads.timeout)
        view = center.overview(request.user.tenant_id, clock.now())
        return Response(OverviewOut.of(view), headers=headers)
