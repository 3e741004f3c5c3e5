"""Leads: capture, import, read, act on (assign, contact, score, qualify, follow up, convert,
lose, reopen), and the event history."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromQuery, JSONBody, QueryParameter, RawBody

from application.bus import CommandBus, Handler
from application.leads import CapturedLead, LeadFilters, LeadView
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
from entrypoints.http.deps import Bus, Cursor, Id, Leads, Limit, Reads
from entrypoints.http.schemas import (
    AssignIn,
    CapturedLeadOut,
    ContactedIn,
    EventOut,
    EventsOut,
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
from entrypoints.http.security import (
    ALL_ROLES,
    SUPERVISORS,
    WRITERS,
    Principal,
    roles,
    roles_text,
)

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
        rows=[RowOutcomeOut(row=r.row, outcome=r.outcome, lead_id=r.lead_id,  # type: ignore[arg-type]
                            existing_id=r.existing_id, reason=r.reason) for r in report.rows]))


class CsvBody(Operation):
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

    # -- capture and import -------------------------------------------------------------------

    @post("/", status_code=201, sync_to_thread=True, opt=roles(*WRITERS), summary="Capture a lead",
          description="Attaches the lead to the contact with the same email (or phone), or "
                      "registers a new contact. A second *open* lead for the same contact and "
                      "source is a 409 `duplicate-lead` with `existing_id`. Accepts "
                      "`Idempotency-Key`. " + roles_text(WRITERS))
    def capture(self, request: Request[Principal, Any, Any], data: JSONBody[LeadCreate],
                leads: Leads, bus: Bus) -> Response[CapturedLeadOut]:
        command = CaptureLead(name=data.name, email=data.email, phone=data.phone,
                              source=data.source, campaign=data.campaign, channel=data.channel,
                              notes=data.notes, region=data.region)
        return execute(request, bus, leads.capture, command, _captured,  # type: ignore[return-value]
                       fingerprint_of=data.model_dump_json().encode())

    @post("/import", status_code=200, sync_to_thread=True, opt=roles(*SUPERVISORS),
          operation_class=CsvBody, summary="Import leads from CSV",
          description="Every row is validated and reported as accepted, duplicate or rejected "
                      "with a reason; accepted rows are committed together. A malformed file "
                      f"(not UTF-8, no header, unknown columns, more than {MAX_ROWS} rows) is a "
                      "400 and imports nothing. " + roles_text(SUPERVISORS))
    def import_csv(self, request: Request[Principal, Any, Any], body: RawBody,
                   leads: Leads, bus: Bus) -> Response[ImportReportOut]:
        rows = parse_csv(body)
        return execute(request, bus, leads.import_leads, ImportLeads(rows=rows), _report,  # type: ignore[return-value]
                       fingerprint_of=body)

    # -- reads --------------------------------------------------------------------------------

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List leads",
         description="Newest first, cursor-paginated, filtered by status, source, campaign, "
                     "assignee or contact. Send `X-Frontdesk-Min-Position` (from a write's "
                     "`X-Frontdesk-Position`) to wait until that write is visible. "
                     + roles_text(ALL_ROLES))
    def page(self, request: Request[Principal, Any, Any], leads: Leads, reads: Reads,
             status: StatusFilter = None,
             source: FromQuery[str | None] = None, campaign: FromQuery[str | None] = None,
             assigned_to: FromQuery[UUID | None] = None, contact_id: FromQuery[UUID | None] = None,
             limit: Limit = 50,
             cursor: Cursor = None) -> Response[LeadPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        filters = LeadFilters(status=status, source=source, campaign=campaign,
                              assigned_to=assigned_to, contact_id=contact_id)
        page = leads.queries.page(request.user.tenant_id, filters, limit=limit, cursor=cursor)
        return Response(LeadPage(items=[LeadOut.of(v) for v in page.items],
                                 next_cursor=page.next_cursor), headers=headers)

    @get("/{lead_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="Get a lead",
         description=roles_text(ALL_ROLES))
    def get_one(self, request: Request[Principal, Any, Any], lead_id: Id,
                leads: Leads, reads: Reads) -> Response[LeadOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = leads.queries.get(request.user.tenant_id, lead_id)
        if view is None:
            raise NotFound("lead not found")
        return Response(LeadOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @get("/{lead_id:uuid}/events", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="A lead's event history",
         description="Every event of the lead, oldest first, from the event store. "
                     + roles_text(ALL_ROLES))
    def events(self, request: Request[Principal, Any, Any], lead_id: Id,
               reads: Reads) -> EventsOut:
        entries = reads.history.of(request.user.tenant_id, lead_id)
        if not entries or entries[0].type != "LeadCaptured":
            raise NotFound("lead not found")
        return EventsOut(items=[EventOut.of(e) for e in entries])

    # -- actions ------------------------------------------------------------------------------

    def _act(self, request: Request[Principal, Any, Any], bus: CommandBus,
             handler: Handler[Any, LeadView], command: Any, data: Any) -> Response[LeadOut]:
        return execute(request, bus, handler, command, _lead(),  # type: ignore[return-value]
                       fingerprint_of=data.model_dump_json().encode() if data else b"")

    @post("/{lead_id:uuid}/assign", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Assign the lead to a user", description=roles_text(WRITERS) + IF_MATCH_NOTE)
    def assign(self, request: Request[Principal, Any, Any], lead_id: Id, data: JSONBody[AssignIn],
               leads: Leads, bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, leads.assign,
                         AssignLead(lead_id, if_match(request), data.agent_id), data)

    @post("/{lead_id:uuid}/contact", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Record a contact attempt",
          description="A new lead becomes `contacted`; a converted lead cannot be contacted. "
                      + roles_text(WRITERS) + IF_MATCH_NOTE)
    def contact(self, request: Request[Principal, Any, Any], lead_id: Id,
                data: JSONBody[ContactedIn], leads: Leads, bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, leads.contact, RecordLeadContact(
            lead_id, if_match(request), data.channel, data.outcome, data.note), data)

    @post("/{lead_id:uuid}/score", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Score the lead (0-100, with reasons)",
          description=roles_text(WRITERS) + IF_MATCH_NOTE)
    def score(self, request: Request[Principal, Any, Any], lead_id: Id, data: JSONBody[ScoreIn],
              leads: Leads, bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, leads.score,
                         ScoreLead(lead_id, if_match(request), data.score, data.reasons), data)

    @post("/{lead_id:uuid}/qualify", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Qualify the lead", description="From `new` or `contacted`. "
                                                  + roles_text(WRITERS) + IF_MATCH_NOTE)
    def qualify(self, request: Request[Principal, Any, Any], lead_id: Id, data: JSONBody[NoteIn],
                leads: Leads, bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, leads.qualify,
                         QualifyLead(lead_id, if_match(request), data.note), data)

    @post("/{lead_id:uuid}/follow-ups", status_code=200, sync_to_thread=True,
          opt=roles(*WRITERS), summary="Schedule a follow-up",
          description=roles_text(WRITERS) + IF_MATCH_NOTE)
    def follow_up(self, request: Request[Principal, Any, Any], lead_id: Id,
                  data: JSONBody[FollowUpIn], leads: Leads, bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, leads.schedule_follow_up, ScheduleFollowUp(
            lead_id, if_match(request), data.due_at, data.note), data)

    @post("/{lead_id:uuid}/follow-ups/{follow_up_id:uuid}/complete", status_code=200,
          sync_to_thread=True, opt=roles(*WRITERS), summary="Complete a follow-up",
          description=roles_text(WRITERS) + IF_MATCH_NOTE)
    def complete_follow_up(self, request: Request[Principal, Any, Any], lead_id: Id,
                           follow_up_id: Id, data: JSONBody[FollowUpDoneIn], leads: Leads,
                           bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, leads.complete_follow_up, CompleteFollowUp(
            lead_id, if_match(request), follow_up_id, data.outcome), data)

    @post("/{lead_id:uuid}/convert", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Convert the lead into a case",
          description="Only a qualified lead converts; the response names the `case_id` "
                      "that will be opened. " + roles_text(WRITERS) + IF_MATCH_NOTE)
    def convert(self, request: Request[Principal, Any, Any], lead_id: Id,
                leads: Leads, bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, leads.convert, ConvertLead(lead_id, if_match(request)),
                         None)

    @post("/{lead_id:uuid}/lose", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Mark the lead lost", description=roles_text(WRITERS) + IF_MATCH_NOTE)
    def lose(self, request: Request[Principal, Any, Any], lead_id: Id, data: JSONBody[LoseIn],
             leads: Leads, bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, leads.lose,
                         LoseLead(lead_id, if_match(request), data.reason), data)

    @post("/{lead_id:uuid}/reopen", status_code=200, sync_to_thread=True,
          opt=roles(*SUPERVISORS), summary="Reopen a lost or converted lead",
          description="Back to the status it had before it was closed; 409 if another open "
                      "lead of the contact has the same source. " + roles_text(SUPERVISORS)
                      + IF_MATCH_NOTE)
    def reopen(self, request: Request[Principal, Any, Any], lead_id: Id, data: JSONBody[ReopenIn],
               leads: Leads, bus: Bus) -> Response[LeadOut]:
        return self._act(request, bus, leads.reopen,
                         ReopenLead(lead_id, if_match(request), data.reason), data)
