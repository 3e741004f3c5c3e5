"""Agent performance per day (definitions: ADR 0031)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get
from litestar.params import FromQuery, QueryParameter

from application.contact_center.views import PerformanceQueries
from domain.ports import Clock
from entrypoints.http.analytics.schemas import AgentDayOut, AgentDaysOut
from entrypoints.http.commands import wait_for_own_writes
from entrypoints.http.deps import Provided, Reads, Req, instant, instant_query
from entrypoints.http.problems import BadRange
from entrypoints.http.security import ALL_ROLES, acting_agent, roles

Performance = Provided[PerformanceQueries]
Now = Provided[Clock]
FromDay = Annotated[date, QueryParameter(name="from", description="First UTC day, "
                                         "e.g. 2026-03-02")]
ToDay = Annotated[date | None, QueryParameter(name="to", description=(
    "Last UTC day (inclusive; default: the first). Not before `from`, and at most 366 days "
    "after it: otherwise a 400 `bad-range` problem"))]

AsOf = Annotated[str | None, instant_query(
    "The report exactly as it stood then (recomputed from the events recorded up to it: a "
    "CSAT or a task recorded later is not in it); omit for the live report",
    "2026-03-02T18:00:00Z")]


class AgentAnalyticsController(Controller):
    path = "/v1/analytics/agents"
    tags = ["contact center"]
    opt = roles(*ALL_ROLES)

    @get("/", sync_to_thread=True, summary="Agent performance per day",
         description="Per agent per UTC day in [from, to]: tasks handled, average handle time "
                     "(talk + wrap-up), average speed of answer, first-contact resolution, "
                     "CSAT, occupancy (busy / logged-in), SLA attainment, leads converted, "
                     "reservations. Definitions: ADR 0031. Agents see their own figures only. "
                     "`as_of` recomputes the report as it stood at that moment (ADR 0091).")
    def agents(self, request: Req, performance: Performance, clock: Now,
               reads: Reads,
               from_day: FromDay, to_day: ToDay = None,
               agent_id: FromQuery[UUID | None] = None,
               as_of: AsOf = None) -> Response[AgentDaysOut]:
        moment = instant(as_of, "as_of")
        last = to_day or from_day
        if last < from_day:
            raise BadRange("`to` must not be before `from`")
        if (last - from_day).days > 366:
            raise BadRange("at most 366 days at a time")
        own = acting_agent(request)
        if own is not None and "analyst" not in request.user.roles:
            agent_id = own
        headers = {} if moment is not None else wait_for_own_writes(
            request, reads.gate, ("agent_performance",), reads.timeout)
        start = datetime.combine(from_day, time(0), tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
        days = performance.agent_days(request.user.tenant_id, start, end, clock.now(),
                                      agent_id, as_of=moment)
        return Response(AgentDaysOut(as_of=moment, items=[AgentDayOut.of(d) for d in days]),
                        headers=headers)
