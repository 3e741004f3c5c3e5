"""The pipeline for owners and admins: leads by status as columns (count, open value, the newest
leads, a page of one column at a time), a lead with its event timeline, the capture form and the
CSV import with its report per row (ADR 0087).

The same query services and commands as /v1/leads, with the API's roles; refusals (a rule, a
malformed file) are shown on the page they came from, and nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from application.leads import LeadFilters, LeadQueries
from application.leads.commands import CaptureLead, ImportLeads
from domain.shared import NotFound
from entrypoints.csv_import import CSV_COLUMNS, MalformedFile, parse_csv
from entrypoints.http.commands import context
from entrypoints.http.console.formats import money
from entrypoints.http.console.pages import PAGE_ERRORS, attempt, page
from entrypoints.http.deps import Bus, Id, Provided, Reads, Req
from entrypoints.http.security import ALL_ROLES, CONSOLE, SUPERVISORS, WRITERS, roles

Leads = Provided[LeadQueries]
READ_MODELS = ("lead_pipeline", "contacts")
SHOWN = 8
"""Leads per column on the board; the column's own pages show more."""
PER_PAGE = 25
Status = Annotated[str | None, QueryParameter(
    pattern="^(new|contacted|qualified|converted|lost)$")]


@dataclass
class CaptureForm:
    source: str
    name: str = ""
    email: str = ""
    phone: str = ""
    campaign: str = ""
    channel: str = "web"
    notes: str = ""


@dataclass
class ImportForm:
    file: UploadFile


def _or_none(value: str) -> str | None:
    return value.strip() or None


class PipelineController(Controller):
    path = f"{CONSOLE}/pipeline"
    opt = roles(*ALL_ROLES)
    include_in_schema = False
    exception_handlers = PAGE_ERRORS

    @get("/", sync_to_thread=True)
    def board(self, request: Req, leads: Leads, status: Status = None,
              cursor: FromQuery[str | None] = None,
              captured: FromQuery[UUID | None] = None) -> Template:
        """Every column with its newest leads, or (``status``) one column a page at a time."""
        tenant = request.user.tenant_id
        stages = leads.stages(tenant)
        shown = [s for s in stages if status is None or s.status == status]
        limit = SHOWN if status is None else PER_PAGE
        pages = {s.status: leads.page(tenant, LeadFilters(status=s.status), limit=limit,
                                      cursor=cursor if status else None) for s in shown}
        return page("pipeline.html", request, section="pipeline", stages=shown, pages=pages,
                    chosen=status, cursor=cursor, captured=captured, money=money)

    @get("/leads/{lead_id:uuid}", sync_to_thread=True)
    def lead(self, request: Req, lead_id: Id, leads: Leads, reads: Reads) -> Template:
        view = leads.get(request.user.tenant_id, lead_id)
        if view is None:
            raise NotFound("lead not found")
        timeline = reads.history_of(request, lead_id, "LeadCaptured", "lead")
        return page("lead.html", request, section="pipeline", lead=view,
                    timeline=list(reversed(timeline)))

    # -- capture ------------------------------------------------------------------------------

    @get("/capture", sync_to_thread=False, opt=roles(*WRITERS))
    def capture_form(self, request: Req) -> Template:
        return page("capture.html", request, section="pipeline", form=CaptureForm(source=""))

    @post("/capture", sync_to_thread=True, opt=roles(*WRITERS), status_code=303)
    def capture(self, request: Req, data: Annotated[CaptureForm, Body(
                media_type=RequestEncodingType.URL_ENCODED)], bus: Bus, reads: Reads
                ) -> Redirect | Template:
        command = CaptureLead(name=_or_none(data.name), email=_or_none(data.email),
                              phone=_or_none(data.phone), source=data.source.strip(),
                              campaign=_or_none(data.campaign),
                              channel=data.channel.strip() or "web", notes=_or_none(data.notes))
        done = attempt(bus, command, context(request), reads, READ_MODELS)
        if done.error is not None:
            return page("capture.html", request, 422, section="pipeline", form=data,
                        error=done.error)
        return Redirect(f"{CONSOLE}/pipeline?captured={done.result.lead.id}", status_code=303)

    # -- import -------------------------------------------------------------------------------

    @get("/import", sync_to_thread=False, opt=roles(*SUPERVISORS))
    def import_form(self, request: Req) -> Template:
        return page("import.html", request, section="pipeline", columns=CSV_COLUMNS)

    @post("/import", sync_to_thread=True, opt=roles(*SUPERVISORS), status_code=200)
    def import_csv(self, request: Req, data: Annotated[ImportForm, Body(
                   media_type=RequestEncodingType.MULTI_PART)], bus: Bus,
                   reads: Reads) -> Template:
        values: dict[str, Any] = {"section": "pipeline", "columns": CSV_COLUMNS,
                                  "filename": data.file.filename}
        try:
            rows = parse_csv(data.file.file.read())
        except MalformedFile as malformed:
            return page("import.html", request, 400, malformed=malformed, **values)
        done = attempt(bus, ImportLeads(rows=rows), context(request), reads, READ_MODELS)
        if done.error is not None:
            return page("import.html", request, 409, error=done.error, **values)
        return page("import.html", request, report=done.result, **values)
