"""Cases: open, list, read, quote, accept, invoice (with a Stripe payment page), payments,
refunds, complete, cancel, the event history and the proposal PDF."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, JSONBody, QueryParameter

from application.bus import CommandBus, Handler
from application.cases.commands import (
    AcceptQuote,
    CancelCase,
    CompleteCase,
    CreatePaymentLink,
    IssueInvoice,
    IssueQuote,
    OpenCase,
    QuoteLine,
    RecordPayment,
    RefundPayment,
)
from application.cases.payments import PaymentOutcome, RefundOutcome
from application.cases.ports import PaymentProviderUnavailable
from application.cases.views import CaseFilters, CaseView, ProposalData
from application.ports import StoredResponse
from domain.shared import NotFound
from entrypoints.http.cases_schemas import (
    CancelIn,
    CaseCreate,
    CaseOut,
    CasePage,
    CompleteIn,
    InvoiceCreatedOut,
    InvoiceIn,
    PaymentIn,
    PaymentRecordedOut,
    QuoteIn,
    RefundIn,
    RefundRecordedOut,
)
from entrypoints.http.commands import execute, if_match, stored, wait_for_own_writes
from entrypoints.http.deps import Bus, Cases, Cursor, Id, Limit, Reads
from entrypoints.http.schemas import EventOut, EventsOut
from entrypoints.http.security import (
    ALL_ROLES,
    SUPERVISORS,
    WRITERS,
    Principal,
    roles,
    roles_text,
)

READ_MODELS = ("cases",)
IF_MATCH_NOTE = " Accepts `If-Match: <version>` (a stale version is a 409) and `Idempotency-Key`."
StatusFilter = Annotated[str | None, QueryParameter(
    pattern="^(draft|quoted|accepted|in_progress|completed|cancelled)$",
    description="Case status")]


def _case(status: int = 200, location: bool = False) -> Any:
    def render(view: CaseView) -> StoredResponse:
        headers = {"ETag": f'"{view.version}"'}
        if location:
            headers["Location"] = f"/v1/cases/{view.id}"
        return stored(status, CaseOut.of(view), headers)
    return render


def _invoice(invoice_id: UUID) -> Any:
    def render(view: CaseView) -> StoredResponse:
        case = CaseOut.of(view)
        invoice = next(i for i in case.invoices if i.id == invoice_id)
        return stored(201, InvoiceCreatedOut(invoice=invoice, case=case),
                      {"ETag": f'"{view.version}"'})
    return render


def _payment(outcome: PaymentOutcome) -> StoredResponse:
    body = PaymentRecordedOut(payment_id=outcome.payment_id, duplicate=outcome.duplicate,
                              recorded_on_case=outcome.recorded_on,
                              case=CaseOut.of(outcome.case))
    return stored(200 if outcome.duplicate else 201, body,
                  {"ETag": f'"{outcome.case.version}"'})


def _refund(outcome: RefundOutcome) -> StoredResponse:
    return stored(201, RefundRecordedOut(refund_id=outcome.refund_id,
                                         external_reference=outcome.external_reference,
                                         case=CaseOut.of(outcome.case)),
                  {"ETag": f'"{outcome.case.version}"'})


def _body(data: Any) -> bytes:
    return data.model_dump_json().encode() if data is not None else b""


def run(request: Request[Principal, Any, Any], bus: CommandBus, handler: Handler[Any, Any],
        command: Any, render: Any, data: Any) -> Response[Any]:
    """Execute a command; a payment provider outage is a 503 and nothing is recorded."""
    try:
        return execute(request, bus, handler, command, render, fingerprint_of=_body(data))
    except PaymentProviderUnavailable as down:
        raise HTTPException(status_code=503, detail=down.message,
                            headers={"Retry-After": str(down.retry_after)}) from None


class CasesController(Controller):
    path = "/v1/cases"
    tags = ["cases"]

    @post("/", status_code=201, sync_to_thread=True, opt=roles(*WRITERS), summary="Open a case",
          description="For a contact, optionally naming the lead it came from (its source and "
                      "campaign attribute the case's revenue in LTV reports). A converted lead "
                      "opens its case by itself (`case_id` of the lead). Accepts "
                      "`Idempotency-Key`. " + roles_text(WRITERS))
    def open(self, request: Request[Principal, Any, Any], data: JSONBody[CaseCreate],
             cases: Cases, bus: Bus) -> Response[CaseOut]:
        command = OpenCase(contact_id=data.contact_id, lead_id=data.lead_id, kind=data.kind,
                           title=data.title)
        return run(request, bus, cases.open, command, _case(201, location=True), data)

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List cases",
         description="Newest first, cursor-paginated, filtered by status, kind, contact or "
                     "lead. " + roles_text(ALL_ROLES))
    def page(self, request: Request[Principal, Any, Any], cases: Cases, reads: Reads,
             status: StatusFilter = None, kind: FromQuery[str | None] = None,
             contact_id: FromQuery[UUID | None] = None, lead_id: FromQuery[UUID | None] = None,
             limit: Limit = 50, cursor: Cursor = None) -> Response[CasePage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        filters = CaseFilters(status=status, kind=kind, contact_id=contact_id, lead_id=lead_id)
        page = cases.queries.page(request.user.tenant_id, filters, limit=limit, cursor=cursor)
        return Response(CasePage(items=[CaseOut.of(v) for v in page.items],
                                 next_cursor=page.next_cursor), headers=headers)

    @get("/{case_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="Get a case",
         description="The case with its quote, invoices, payments and totals. "
                     + roles_text(ALL_ROLES))
    def get_one(self, request: Request[Principal, Any, Any], case_id: Id, cases: Cases,
                reads: Reads) -> Response[CaseOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = cases.queries.get(request.user.tenant_id, case_id)
        if view is None:
            raise NotFound("case not found")
        return Response(CaseOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @get("/{case_id:uuid}/events", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="A case's event history", description="Every event of the case, oldest "
                                                       "first. " + roles_text(ALL_ROLES))
    def events(self, request: Request[Principal, Any, Any], case_id: Id,
               reads: Reads) -> EventsOut:
        entries = reads.history.of(request.user.tenant_id, case_id)
        if not entries or entries[0].type != "CaseOpened":
            raise NotFound("case not found")
        return EventsOut(items=[EventOut.of(e) for e in entries])

    @get("/{case_id:uuid}/proposal.pdf", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="The proposal PDF of the current quote", media_type="application/pdf",
         description="Tenant name, line items, total and validity of the case's current "
                     "quote, as a PDF. 409 when the case has no quote. " + roles_text(ALL_ROLES))
    def proposal(self, request: Request[Principal, Any, Any], case_id: Id, cases: Cases,
                 reads: Reads) -> Response[bytes]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        tenant_id = request.user.tenant_id
        view = cases.queries.get(tenant_id, case_id)
        if view is None:
            raise NotFound("case not found")
        document = cases.proposals.render(ProposalData(cases.queries.tenant_name(tenant_id),
                                                       view))
        return Response(document, media_type="application/pdf", headers={
            **headers, "Content-Disposition": f'inline; filename="proposal-{case_id}.pdf"'})

    # -- actions ------------------------------------------------------------------------------

    @post("/{case_id:uuid}/quote", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Issue (or revise) the quote",
          description="Line items in one currency; the first quote fixes the case's currency. "
                      "A draft or quoted case only. " + roles_text(WRITERS) + IF_MATCH_NOTE)
    def quote(self, request: Request[Principal, Any, Any], case_id: Id, data: JSONBody[QuoteIn],
              cases: Cases, bus: Bus) -> Response[CaseOut]:
        command = IssueQuote(case_id, if_match(request), data.currency,
                             [QuoteLine(i.description, i.quantity, i.unit_amount)
                              for i in data.line_items], data.valid_until)
        return run(request, bus, cases.quote, command, _case(), data)

    @post("/{case_id:uuid}/accept", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Accept the quote", description="409 `quote-expired` after its validity. "
                                                  + roles_text(WRITERS) + IF_MATCH_NOTE)
    def accept(self, request: Request[Principal, Any, Any], case_id: Id, cases: Cases,
               bus: Bus) -> Response[CaseOut]:
        return run(request, bus, cases.accept, AcceptQuote(case_id, if_match(request)),
                   _case(), None)

    @post("/{case_id:uuid}/invoices", status_code=201, sync_to_thread=True,
          opt=roles(*WRITERS), summary="Issue an invoice",
          description="Part or all of the accepted quote (never more in total); the first "
                      "invoice moves the case to `in_progress`. With `payment_link: true` a "
                      "Stripe Checkout page is created in the same step (503 and nothing "
                      "recorded if Stripe is down or not configured). "
                      + roles_text(WRITERS) + IF_MATCH_NOTE)
    def invoice(self, request: Request[Principal, Any, Any], case_id: Id,
                data: JSONBody[InvoiceIn], cases: Cases, bus: Bus) -> Response[InvoiceCreatedOut]:
        command = IssueInvoice(case_id, if_match(request), data.due_date, data.amount,
                               data.description, data.payment_link)
        return run(request, bus, cases.invoice, command, _invoice(command.invoice_id), data)

    @post("/{case_id:uuid}/invoices/{invoice_id:uuid}/payment-link", status_code=200,
          sync_to_thread=True, opt=roles(*WRITERS), summary="Create a Stripe payment page",
          description="A Stripe Checkout Session for what is still due on the invoice (a new "
                      "one replaces an expired link). Its metadata names tenant, case and "
                      "invoice. 503 with Retry-After when Stripe is down or not configured. "
                      + roles_text(WRITERS) + IF_MATCH_NOTE)
    def payment_link(self, request: Request[Principal, Any, Any], case_id: Id, invoice_id: Id,
                     cases: Cases, bus: Bus) -> Response[CaseOut]:
        return run(request, bus, cases.payment_link,
                   CreatePaymentLink(case_id, invoice_id, if_match(request)), _case(), None)

    @post("/{case_id:uuid}/payments", status_code=201, sync_to_thread=True,
          opt=roles(*WRITERS), summary="Record a manual payment",
          description="Cash, bank transfer, card terminal, cheque. The case must have an "
                      "accepted quote; the currency must be the case's. A payment whose "
                      "`external_reference` is already recorded in this tenant is ignored: "
                      "200 with `duplicate: true`. " + roles_text(WRITERS) + IF_MATCH_NOTE)
    def payment(self, request: Request[Principal, Any, Any], case_id: Id,
                data: JSONBody[PaymentIn], cases: Cases,
                bus: Bus) -> Response[PaymentRecordedOut]:
        command = RecordPayment(case_id, if_match(request), data.amount, data.currency,
                                data.method, data.invoice_id, data.external_reference)
        return run(request, bus, cases.payment, command, _payment, data)

    @post("/{case_id:uuid}/refunds", status_code=201, sync_to_thread=True,
          opt=roles(*SUPERVISORS), summary="Refund a payment",
          description="At most what remains of the payment (paid - refunded - disputed), else "
                      "409 `refund-exceeds-payment`. A Stripe payment is refunded at Stripe "
                      "first (503 and nothing recorded if Stripe is down). "
                      + roles_text(SUPERVISORS) + IF_MATCH_NOTE)
    def refund(self, request: Request[Principal, Any, Any], case_id: Id,
               data: JSONBody[RefundIn], cases: Cases, bus: Bus) -> Response[RefundRecordedOut]:
        command = RefundPayment(case_id, if_match(request), data.payment_id, data.amount,
                                data.reason)
        return run(request, bus, cases.refund, command, _refund, data)

    @post("/{case_id:uuid}/complete", status_code=200, sync_to_thread=True,
          opt=roles(*WRITERS), summary="Complete the case",
          description="From `accepted` or `in_progress`. " + roles_text(WRITERS) + IF_MATCH_NOTE)
    def complete(self, request: Request[Principal, Any, Any], case_id: Id,
                 data: JSONBody[CompleteIn], cases: Cases, bus: Bus) -> Response[CaseOut]:
        return run(request, bus, cases.complete,
                   CompleteCase(case_id, if_match(request), data.note), _case(), data)

    @post("/{case_id:uuid}/cancel", status_code=200, sync_to_thread=True, opt=roles(*WRITERS),
          summary="Cancel the case", description="Any open case; payments stay recorded (refund "
                                                 "them separately). " + roles_text(WRITERS)
                                                 + IF_MATCH_NOTE)
    def cancel(self, request: Request[Principal, Any, Any], case_id: Id,
               data: JSONBody[CancelIn], cases: Cases, bus: Bus) -> Response[CaseOut]:
        return run(request, bus, cases.cancel, CancelCase(case_id, if_match(request),
                                                          data.reason), _case(), data)
