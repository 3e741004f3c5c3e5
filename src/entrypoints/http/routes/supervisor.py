"""The supervisor overview and agents' daily figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.exceptions import ClientException
from litestar.params import FromQuery, QueryParameter

from entrypoints.http.commands import wait_for_own_writes
from entrypoints.http.contact_center_deps import ContactCenter, acting_agent
from entrypoints.http.contact_center_schemas import AgentDayOut, AgentDaysOut, OverviewOut
from entrypoints.http.deps import Reads
from entrypoints.http.security import ALL_ROLES, Principal, roles, roles_text

OVERVIEW_ROLES = ("admin", "supervisor", "analyst")
FromDay = Annotated[date, QueryParameter(name="from", description="First UTC day, "
                                         "e.g. 2026-03-02")]
ToDay = Annotated[date | None, QueryParameter(name="to", description="Last UTC day "
                                              "(inclusive; default: the first)")]


class SupervisorController(Controller):
    path = "/v1/supervisor"
    tags = ["contact center"]

    @get("/overview", sync_to_thread=True, opt=roles(*OVERVIEW_ROLES),
         summary="The supervisor's live view",
         description="Per queue: waiting, scheduled, reserved and in-progress tasks, the "
                     "oldest wait, today's SLA attainment (met / (met + missed) since midnight "
                     "UTC; ADR 0031), breaches today, and the queue's skilled agents by "
                     "status; and every agent by status. A projection of the events: the "
                     "same after any restart (ADR 0032). " + roles_text(OVERVIEW_ROLES))
    def overview(self, request: Request[Principal, Any, Any], cc: ContactCenter,
                 reads: Reads) -> Response[OverviewOut]:
        headers = wait_for_own_writes(request, reads.gate, ("supervisor_overview",),
                                      reads.timeout)
        view = cc.queries.overview(request.user.tenant_id, cc.clock.now())
        return Response(OverviewOut.of(view), headers=headers)


class AgentAnalyticsController(Controller):
    path = "/v1/analytics/agents"
    tags = ["contact center"]

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="Agent performance per day",
         description="Per agent per UTC day in [from, to]: tasks handled, average handle time "
                     "(talk + wrap-up), average speed of answer, first-contact resolution, "
                     "CSAT, occupancy (busy / logged-in), SLA attainment, leads converted, "
                     "reservations. Definitions: ADR 0031. Agents see their own figures only. "
                     + roles_text(ALL_ROLES))
    def agents(self, request: Request[Principal, Any, Any], cc: ContactCenter, reads: Reads,
               from_day: FromDay, to_day: ToDay = None,
               agent_id: FromQuery[UUID | None] = None) -> Response[AgentDaysOut]:
        last = to_day or from_day
        if last < from_day:
            raise ClientException("`to` must not be before `from`")
        if (last - from_day).days > 366:
            raise ClientException("at most 366 days at a time")
        own = acting_agent(request)
        if own is not None and "analyst" not in request.user.roles:
            agent_id = own
        headers = wait_for_own_writes(request, reads.gate, ("agent_performance",),
                                      reads.timeout)
        start = datetime.combine(from_day, time(0), tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
        days = cc.performance.agent_days(request.user.tenant_id, start, end, cc.clock.now(),
                                         agent_id)
        return Response(AgentDaysOut(items=[AgentDayOut.of(d) for d in days]), headers=headers)
