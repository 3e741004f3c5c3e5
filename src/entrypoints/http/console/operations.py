"""Operations for owners and supervisors: the audit log (filtered, paginated) and its CSV export,
the projections' status (position, lag, failures), and the what-if routing simulation with its
comparison as a chart. The same query services as ``GET /v1/audit``, ``/health/ready`` and
``frontdesk simulate routing``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, get
from litestar.params import QueryParameter
from litestar.response import Stream, Template

from adapters.projections.manager import ProjectionManager
from application.audit import AuditFilters, AuditQueries, csv_chunks
from application.contact_center.what_if import (
    MOST_AGENTS,
    STRATEGIES,
    NotAWhatIf,
    RoutingHistory,
    WhatIfReport,
    what_if_routing,
)
from domain.ports import Clock
from entrypoints.http.console.analytics import Moment, utc_moment
from entrypoints.http.console.charts import Chart, Series, percent, rounded
from entrypoints.http.console.pages import REPORT_ERRORS, page
from entrypoints.http.deps import Provided, Req
from entrypoints.http.security import CONSOLE, SUPERVISORS, roles

PAGE_SIZE = 50
STATUS_TIMEOUT = 5.0
"""Seconds the projections page waits for the database before saying it could not tell."""
Text = Annotated[str | None, QueryParameter(max_length=200, pattern="^[^\x00]*$")]
Cursor = Annotated[str | None, QueryParameter(max_length=400, pattern="^[A-Za-z0-9_=.:-]*$")]
Agents = Annotated[str | None, QueryParameter(max_length=4, pattern=r"^\d*$")]
Strategy = Annotated[str | None, QueryParameter(max_length=20, pattern="^[a-z_]*$")]


@dataclass(frozen=True)
class AuditForm:
    actor: str = ""
    action: str = ""
    resource_type: str = ""
    resource_id: str = ""
    since: str = ""
    until: str = ""

    def filters(self) -> AuditFilters:
        return AuditFilters(self.actor.strip() or None, self.action.strip() or None,
                            self.resource_type.strip() or None,
                            self.resource_id.strip() or None,
                            utc_moment(self.since), utc_moment(self.until))

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for the next page and the CSV link)."""
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class OperationsReads:
    audit: AuditQueries
    projections: ProjectionManager
    history: RoutingHistory
    clock: Clock

    def audit_page(self, tenant_id: UUID, form: AuditForm, cursor: str | None
                   ) -> dict[str, Any]:
        found = self.audit.page(tenant_id, form.filters(), limit=PAGE_SIZE, cursor=cursor)
        return {"entries": found.items, "next_cursor": found.next_cursor, "form": form,
                "query": form.query(), "first_page": cursor is None}

    def projections_status(self) -> dict[str, Any]:
        try:
            statuses = self.projections.status(timeout=STATUS_TIMEOUT)
        except Exception as error:  # the database could not tell in time: say so
            return {"statuses": [], "error": type(error).__name__}
        return {"statuses": statuses, "error": None,
                "failing": [s.name for s in statuses if s.failing_since is not None],
                "behind": [s.name for s in statuses if s.pending]}

    def what_if(self, tenant_id: UUID, since: str | None, until: str | None,
                strategy: str | None, agents: str | None) -> dict[str, Any]:
        now = self.clock.now().replace(second=0, microsecond=0)
        form = {"since": since or (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
                "until": until or now.strftime("%Y-%m-%dT%H:%M"),
                "strategy": strategy or "recorded", "agents": agents or ""}
        values = {"form": form, "strategies": STRATEGIES, "most_agents": MOST_AGENTS,
                  "report": None, "error": None, "charts": []}
        if since is None or until is None:  # the form, not yet a question
            return values
        start, end = utc_moment(form["since"]), utc_moment(form["until"])
        if start is None or end is None:
            return {**values, "error": "Give the period's start and end."}
        try:
            report = what_if_routing(self.history, tenant_id, start, end, form["strategy"],
                                     int(agents) if agents else None)
        except NotAWhatIf as wrong:
            return {**values, "error": str(wrong).capitalize() + "."}
        return {**values, "report": report, "charts": _what_if_charts(report)}


def _agents(count: int) -> str:
    return f"{count} agent" + ("" if count == 1 else "s")


def _what_if_charts(report: WhatIfReport) -> list[Chart]:
    if not report.rows:
        return []
    labels = [row.queue for row in report.rows]
    names = ("What happened", f"Replay ({_agents(report.on_duty)})",
             f"What if: {report.strategy.replace('_', ' ')}, {_agents(report.agents)}")
    return [
        Chart("what-if-sla", "SLA attainment", "bar", labels, [
            Series(name, [percent(getattr(row, part).attainment) for row in report.rows])
            for name, part in zip(names, ("happened", "replay", "what_if"), strict=True)],
            unit="%"),
        Chart("what-if-wait", "Average wait", "bar", labels, [
            Series(name, [rounded(getattr(row, part).average_wait) for row in report.rows])
            for name, part in zip(names, ("happened", "replay", "what_if"), strict=True)],
            unit="seconds"),
    ]


class OperationsController(Controller):
    path = f"{CONSOLE}/operations"
    opt = roles(*SUPERVISORS)
    include_in_schema = False
    exception_handlers = REPORT_ERRORS

    @get("/", sync_to_thread=True)
    def audit(self, request: Req, operations_pages: Provided[OperationsReads],
              actor: Text = None, action: Text = None, resource_type: Text = None,
              resource_id: Text = None, since: Moment = None, until: Moment = None,
              cursor: Cursor = None) -> Template:
        form = AuditForm(actor or "", action or "", resource_type or "", resource_id or "",
                         since or "", until or "")
        return page("operations.html", request, section="operations", tab="audit",
                    **operations_pages.audit_page(request.user.tenant_id, form, cursor or None))

    @get("/audit.csv", sync_to_thread=False, media_type="text/csv")
    def audit_csv(self, request: Req, operations_pages: Provided[OperationsReads],
                  actor: Text = None, action: Text = None, resource_type: Text = None,
                  resource_id: Text = None, since: Moment = None, until: Moment = None
                  ) -> Stream:
        form = AuditForm(actor or "", action or "", resource_type or "", resource_id or "",
                         since or "", until or "")
        chunks = csv_chunks(operations_pages.audit, request.user.tenant_id, form.filters())
        return Stream(chunks, media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="audit.csv"'})

    @get("/projections", sync_to_thread=True)
    def projections(self, request: Req, operations_pages: Provided[OperationsReads]
                    ) -> Template:
        return page("projections.html", request, section="operations", tab="projections",
                    **operations_pages.projections_status())

    @get("/simulation", sync_to_thread=True)
    def simulation(self, request: Req, operations_pages: Provided[OperationsReads],
                   since: Moment = None, until: Moment = None, strategy: Strategy = None,
                   agents: Agents = None) -> Template:
        return page("simulation.html", request, section="operations", tab="simulation",
                    **operations_pages.what_if(request.user.tenant_id, since, until,
                                               strategy, agents))
