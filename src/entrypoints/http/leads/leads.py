"""Leads: capture, import, read, act on (assign, contact, score, qualify, follow up, convert,
lose, reopen), and the event history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromQuery, JSONBody, QueryParameter, RawBody

from application.bus import CommandBus
from application.leads import CapturedLead, LeadFilters, LeadQueries, LeadView
from application.leads.commands import (
    AssignLead,
    CaptureLead,
    CompleteFollowUp,
    ConvertLead,
    ImportLeads,
    LoseLead,
    QualifyLead,
    RecordLeadContact,
    ReopenLead,
    ScheduleFollowUp,
    ScoreLead,
)
from application.leads.importing import MAX_ROWS, ImportReport
from application.ports import StoredResponse
from domain.shared import NotFound
from entrypoints.csv_import import CSV_COLUMNS, parse_csv
from entrypoints.http.commands import execute, if_match, stored, wait_for_own_writes
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Provided, Reads, Req
from entrypoints.http.leads.schemas import (
    AssignIn,
    CapturedLeadOut,
    ContactedIn,
    FollowUpDoneIn,
    FollowUpIn,
    ImportReportOut,
    LeadCreate,
    LeadOut,
    LeadPage,
    LoseIn,
    NoteIn,
    ReopenIn,
    RowOutcomeOut,
    ScoreIn,
)
from entrypoints.http.schemas import EventsOut
from entrypoints.http.security import ALL_ROLES, SUPERVISORS, WRITERS, roles

Leads = Provided[LeadQueries]
READ_MODELS = ("lead_pipeline", "contacts")
StatusFilter = Annotated[str | None, QueryParameter(
    pattern="^(new|contacted|qualified|converted|lost)$", description="Lead status")]
IF_MATCH_NOTE = " Accepts `If-Match: <version>`; a stale version is a 409."


def _lead(status: int = 200) -> Any:
    def render(view: LeadView) -> StoredResponse:
        return stored(status, LeadOut.of(view), {"ETag": f'"{view.version}"'})
    return render


def _captured(result: CapturedLead) -> StoredResponse:
    body = CapturedLeadOut(**LeadOut.of(result.lead).model_dump(),
                           contact_created=result.contact_created)
    return stored(201, body, {"ETag": f'"{result.lead.version}"',
                              "Location": f"/v1/leads/{result.lead.id}"})


def _report(report: ImportReport) -> StoredResponse:
    return stored(200, ImportReportOut(
        accepted=report.accepted, duplicates=report.duplicates, rejected=report.rejected,
        rows=[RowOutcomeOut(row=r.row, outcome=r.outcome,  # type: ignore[arg-type]
                            lead_id=r.lead_id, existing_id=r.existing_id, reason=r.reason)
              for r in report.rows]))


@dataclass
class CsvBody(Operation):
    """A dataclass again, so that its generated __init__ calls __post_init__ (without the
    decorator the request body below never reached the document)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, description="A CSV file with a header row; columns: "
            + ", ".join(CSV_COLUMNS) + " (an email or a phone per row).",
            content={"text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING),
                                           example="name,email,phone,source,campaign\n"
                                                   "Ana Ruiz,ana@example.com,,web_form,spring\n")})


class LeadsController(Controller):
    path = "/v1/leads"
    tags = ["leads"]
    opt = roles(*WRITERS)

    # -- capture and import -------------------------------------------------------------------

    @post("/", status_code=201, sync_to_thread=True, summary="Capture a lead",
          description="Attaches the lead to the contact with the same email (or phone), or "
                      "registers a new contact. A second *open* lead for the same contact and "
                      "source is a 409 `duplicate-lead` with `existing_id`. Accepts "
                      "`Idempotency-Key`.")
    def capture(self, request: Req, data: JSONBody[LeadCreate],
                bus: Bus) -> Response[CapturedLeadOut]:
        command = CaptureLead(name=data.name, email=data.email, phone=data.phone,
                              source=data.source, campaign=data.campaign, channel=data.channel,
                              notes=data.notes, region=data.region)
        return execute(request, bus, command, _captured,  # type: ignore[return-value]
                       body=data)

    @post("/import", status_code=200, sync_to_thread=True, opt=roles(*SUPERVISORS),
          operation_class=CsvBody, summary="Import leads from CSV",
          description="Every row is validated and reported as accepted, duplicate or rejected "
                      "with a reason; accepted rows are committed together. A malformed file "
                      f"(not UTF-8, no header, unknown columns, more than {MAX_ROWS} rows) is a "
                      "400 and imports nothing.")
    def import_csv(self, request: Req, body: RawBody,
                   bus: Bus) -> Response[ImportReportOut]:
        rows = parse_csv(body)
        return execute(request, bus, ImportLeads(rows=rows), _report,  # type: ignore[return-value]
                       body=body)

    # -- reads --------------------------------------------------------------------------------

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List leads",
         description="Newest first, cursor-paginated, filtered by status, source, campaign, "
                     "assignee or contact. Send `X-Frontdesk-Min-Position` (from a write's "
                     "`X-Frontdesk-Position`) to wait until that write is visible.")
    def page(self, request: Req, leads: Leads, reads: Reads,
             status: StatusFilter = None,
             source: FromQuery[str | None] = None, campaign: FromQuery[str | None] = None,
             assigned_to: FromQuery[UUID | None] = None, contact_id: FromQuery[UUID | None] = None,
             limit: Limit = 50,
             cursor: Cursor = None) -> Response[LeadPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        filters = LeadFilters(status=status, source=source, campaign=campaign,
                              assigned_to=assigned_to, contact_id=contact_id)
        page = leads.page(request.user.tenant_id, filters, limit=limit, cursor=cursor)
        return Response(LeadPage(items=[LeadOut.of(v) for v in page.items],
                                 next_cursor=page.next_cursor), headers=headers)

    @get("/{lead_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="Get a lead")
    def get_one(self, request: Req, lead_id: Id,
                leads: Leads, reads: Reads) -> Response[LeadOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = leads.get(request.user.tenant_id, lead_id)
        if view is None:
            raise NotFound("lead not found")
        return Response(LeadOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @get("/{lead_id:uuid}/events", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="A lead's event history",
         description="Every event of the lead, oldest first, from the event store.")
    def events(self, request: Req, lead_id: Id, reads: Reads) -> EventsOut:
        entries = reads.history_of(request, lead_id, "LeadCaptured", "lead")
        return EventsOut.of(entries)

    # -- actions ------------------------------------------------------------------------------

    def _act(self, request: Req, bus: CommandBus, command: Any, data: Any) -> Response[LeadOut]:
        return execute(request, bus, command, _lead(),  # type: ignore[return-value]
                       body=data)

    @post("/{lead_id:uuid}/assign", status_code=200, sync_to_thread=True,
          summary="Assign the lead to a user", description=IF_MATCH_NOTE)
    def assign(self, request: Req, lead_id: Id, data: JSONBody[AssignIn],
               bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, AssignLead(lead_id, if_match(request), data.agent_id), data)

    @post("/{lead_id:uuid}/contact", status_code=200, sync_to_thread=True,
          summary="Record a contact attempt",
          description="A new lead becomes `contacted`; a converted lead cannot be contacted."
                      + IF_MATCH_NOTE)
    def contact(self, request: Req, lead_id: Id,
                data: JSONBody[ContactedIn], bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, RecordLeadContact(
            lead_id, if_match(request), data.channel, data.outcome, data.note), data)

    @post("/{lead_id:uuid}/score", status_code=200, sync_to_thread=True,
          summary="Score the lead (0-100, with reasons)",
          description=IF_MATCH_NOTE)
    def score(self, request: Req, lead_id: Id, data: JSONBody[ScoreIn],
              bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, ScoreLead(lead_id, if_match(request), data.score,
                                                 data.reasons), data)

    @post("/{lead_id:uuid}/qualify", status_code=200, sync_to_thread=True,
          summary="Qualify the lead", description="From `new` or `contacted`."
                                                  + IF_MATCH_NOTE)
    def qualify(self, request: Req, lead_id: Id, data: JSONBody[NoteIn],
                bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, QualifyLead(lead_id, if_match(request), data.note), data)

    @post("/{lead_id:uuid}/follow-ups", status_code=200, sync_to_thread=True,
          summary="Schedule a follow-up",
          description=IF_MATCH_NOTE)
    def follow_up(self, request: Req, lead_id: Id,
                  data: JSONBody[FollowUpIn], bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, ScheduleFollowUp(
            lead_id, if_match(request), data.due_at, data.note), data)

    @post("/{lead_id:uuid}/follow-ups/{follow_up_id:uuid}/complete", status_code=200,
          sync_to_thread=True, summary="Complete a follow-up",
          description=IF_MATCH_NOTE)
    def complete_follow_up(self, request: Req, lead_id: Id, follow_up_id: Id,
                           data: JSONBody[FollowUpDoneIn], bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, CompleteFollowUp(
            lead_id, if_match(request), follow_up_id, data.outcome), data)

    @post("/{lead_id:uuid}/convert", status_code=200, sync_to_thread=True,
          summary="Convert the lead into a case",
          description="Only a qualified lead converts; the response names the `case_id` "
                      "that will be opened." + IF_MATCH_NOTE)
    def convert(self, request: Req, lead_id: Id,
                bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, ConvertLead(lead_id, if_match(request)),
                         None)

    @post("/{lead_id:uuid}/lose", status_code=200, sync_to_thread=True,
          summary="Mark the lead lost", description=IF_MATCH_NOTE)
    def lose(self, request: Req, lead_id: Id, data: JSONBody[LoseIn],
             bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, LoseLead(lead_id, if_match(request), data.reason), data)

    @post("/{lead_id:uuid}/reopen", status_code=200, sync_to_thread=True,
          opt=roles(*SUPERVISORS), summary="Reopen a lost or converted lead",
          description="Back to the status it had before it was closed; 409 if another open "
                      "lead of the contact has the same source." + IF_MATCH_NOTE)
    def reopen(self, request: Req, lead_id: Id, data: JSONBody[ReopenIn],
               bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, ReopenLead(lead_id, if_match(request), data.reason), data)
