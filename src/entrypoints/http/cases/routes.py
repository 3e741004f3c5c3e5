"""Cases: open, list, read, quote, accept, invoice (with a Stripe payment page), payments,
refunds, complete, cancel, the event history and the proposal PDF."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody, QueryParameter

from application.bus import CommandBus
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
from application.cases.views import (
    CaseFilters,
    CaseQueries,
    CaseView,
    ProposalData,
    ProposalRenderer,
)
from application.ports import StoredResponse
from domain.shared import NotFound
from entrypoints.http.cases.schemas import (
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
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Provided, Reads, Req
from entrypoints.http.schemas import EventsOut
from entrypoints.http.security import ALL_ROLES, SUPERVISORS, WRITERS, roles

Cases = Provided[CaseQueries]
Proposals = Provided[ProposalRenderer]
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


def run(request: Req, bus: CommandBus, command: Any, render: Any, data: Any) -> Response[Any]:
    return execute(request, bus, command, render, body=data)


class CasesController(Controller):
    path = "/v1/cases"
    tags = ["cases"]
    opt = roles(*WRITERS)

    @post("/", status_code=201, sync_to_thread=True, summary="Open a case",
          description="For a contact, optionally naming the lead it came from (its source and "
                      "campaign attribute the case's revenue in LTV reports). A converted lead "
                      "opens its case by itself (`case_id` of the lead). Accepts "
                      "`Idempotency-Key`.")
    def open(self, request: Req, data: JSONBody[CaseCreate],
             bus: Bus) -> Response[CaseOut]:
        command = OpenCase(contact_id=data.contact_id, lead_id=data.lead_id, kind=data.kind,
                           title=data.title)
        return run(request, bus, command, _case(201, location=True), data)

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List cases",
         description="Newest first, cursor-paginated, filtered by status, kind, contact or "
                     "lead.")
    def page(self, request: Req, cases: Cases, reads: Reads,
             status: StatusFilter = None, kind: FromQuery[str | None] = None,
             contact_id: FromQuery[UUID | None] = None, lead_id: FromQuery[UUID | None] = None,
             limit: Limit = 50, cursor: Cursor = None) -> Response[CasePage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        filters = CaseFilters(status=status, kind=kind, contact_id=contact_id, lead_id=lead_id)
        page = cases.page(request.user.tenant_id, filters, limit=limit, cursor=cursor)
        return Response(CasePage(items=[CaseOut.of(v) for v in page.items],
                                 next_cursor=page.next_cursor), headers=headers)

    @get("/{case_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="Get a case",
         description="The case with its quote, invoices, payments and totals.")
    def get_one(self, request: Req, case_id: Id, cases: Cases,
                reads: Reads) -> Response[CaseOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = cases.get(request.user.tenant_id, case_id)
        if view is None:
            raise NotFound("case not found")
        return Response(CaseOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @get("/{case_id:uuid}/events", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="A case's event history", description="Every event of the case, oldest "
                                                       "first.")
    def events(self, request: Req, case_id: Id, reads: Reads) -> EventsOut:
        entries = reads.history_of(request, case_id, "CaseOpened", "case")
        return EventsOut.of(entries)

    @get("/{case_id:uuid}/proposal.pdf", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="The proposal PDF of the current quote", media_type="application/pdf",
         description="Tenant name, line items, total and validity of the case's current "
                     "quote, as a PDF. 409 when the case has no quote.")
    def proposal(self, request: Req, case_id: Id, cases: Cases,
                 proposals: Proposals, reads: Reads) -> Response[bytes]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        tenant_id = request.user.tenant_id
        view = cases.get(tenant_id, case_id)
        if view is None:
            raise NotFound("case not found")
        document = proposals.render(ProposalData(cases.tenant_name(tenant_id),
                                                       view))
        return Response(document, media_type="application/pdf", headers={
            **headers, "Content-Disposition": f'inline; filename="proposal-{case_id}.pdf"'})

    # -- actions ------------------------------------------------------------------------------

    @post("/{case_id:uuid}/quote", status_code=200, sync_to_thread=True,
          summary="Issue (or revise) the quote",
          description="Line items in one currency; the first quote fixes the case's currency. "
                      "A draft or quoted case only." + IF_MATCH_NOTE)
    def quote(self, request: Req, case_id: Id, data: JSONBody[QuoteIn],
              bus: Bus) -> Response[CaseOut]:
        command = IssueQuote(case_id, if_match(request), data.currency,
                             [QuoteLine(i.description, i.quantity, i.unit_amount)
                              for i in data.line_items], data.valid_until)
        return run(request, bus, command, _case(), data)

    @post("/{case_id:uuid}/accept", status_code=200, sync_to_thread=True,
          summary="Accept the quote", description="409 `quote-expired` after its validity."
                                                  + IF_MATCH_NOTE)
    def accept(self, request: Req, case_id: Id, bus: Bus) -> Response[CaseOut]:
        return run(request, bus, AcceptQuote(case_id, if_match(request)),
                   _case(), None)

    @post("/{case_id:uuid}/invoices", status_code=201, sync_to_thread=True,
          summary="Issue an invoice",
          description="Part or all of the accepted quote (never more in total); the first "
                      "invoice moves the case to `in_progress`. With `payment_link: true` a "
                      "Stripe Checkout page is created in the same step (503 and nothing "
                      "recorded if Stripe is down or not configured)."
                      + IF_MATCH_NOTE)
    def invoice(self, request: Req, case_id: Id,
                data: JSONBody[InvoiceIn], bus: Bus) -> Response[InvoiceCreatedOut]:
        command = IssueInvoice(case_id, if_match(request), data.due_date, data.amount,
                               data.description, data.payment_link)
        return run(request, bus, command, _invoice(command.invoice_id), data)

    @post("/{case_id:uuid}/invoices/{invoice_id:uuid}/payment-link", status_code=200,
          sync_to_thread=True, summary="Create a Stripe payment page",
          description="A Stripe Checkout Session for what is still due on the invoice (a new "
                      "one replaces an expired link). Its metadata names tenant, case and "
                      "invoice. 503 with Retry-After when Stripe is down or not configured."
                      + IF_MATCH_NOTE)
    def payment_link(self, request: Req, case_id: Id, invoice_id: Id,
                     bus: Bus) -> Response[CaseOut]:
        return run(request, bus, CreatePaymentLink(case_id, invoice_id, if_match(request)),
                   _case(), None)

    @post("/{case_id:uuid}/payments", status_code=201, sync_to_thread=True,
          summary="Record a manual payment",
          description="Cash, bank transfer, card terminal, cheque. The case must have an "
                      "accepted quote; the currency must be the case's. A payment whose "
                      "`external_reference` is already recorded in this tenant is ignored: "
                      "200 with `duplicate: true`." + IF_MATCH_NOTE,
          responses={200: ResponseSpec(PaymentRecordedOut, description="The external "
                                       "reference was already recorded: `duplicate: true`, "
                                       "nothing recorded")})
    def payment(self, request: Req, case_id: Id,
                data: JSONBody[PaymentIn], bus: Bus) -> Response[PaymentRecordedOut]:
        command = RecordPayment(case_id, if_match(request), data.amount, data.currency,
                                data.method, data.invoice_id, data.external_reference)
        return run(request, bus, command, _payment, data)

    @post("/{case_id:uuid}/refunds", status_code=201, sync_to_thread=True,
          opt=roles(*SUPERVISORS), summary="Refund a payment",
          description="At most what remains of the payment (paid - refunded - disputed), else "
                      "409 `refund-exceeds-payment`. A Stripe payment is refunded at Stripe "
                      "first (503 and nothing recorded if Stripe is down)."
                      + IF_MATCH_NOTE)
    def refund(self, request: Req, case_id: Id,
               data: JSONBody[RefundIn], bus: Bus) -> Response[RefundRecordedOut]:
        command = RefundPayment(case_id, if_match(request), data.payment_id, data.amount,
                                data.reason)
        return run(request, bus, command, _refund, data)

    @post("/{case_id:uuid}/complete", status_code=200, sync_to_thread=True,
          summary="Complete the case",
          description="From `accepted` or `in_progress`." + IF_MATCH_NOTE)
    def complete(self, request: Req, case_id: Id,
                 data: JSONBody[CompleteIn], bus: Bus) -> Response[CaseOut]:
        return run(request, bus, CompleteCase(case_id, if_match(request), data.note), _case(), data)

    @post("/{case_id:uuid}/cancel", status_code=200, sync_to_thread=True,
          summary="Cancel the case", description="Any open case; payments stay recorded (refund "
                                                 "them separately)." + IF_MATCH_NOTE)
    def cancel(self, request: Req, case_id: Id,
               data: JSONBody[CancelIn], bus: Bus) -> Response[CaseOut]:
        return run(request, bus, CancelCase(case_id, if_match(request),
                                                          data.reason), _case(), data)
