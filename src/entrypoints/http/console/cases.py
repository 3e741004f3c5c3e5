"""Cases for owners and admins: the list a page at a time (by status), a case with its quote
lines, invoices, payments and refunds, a Stripe payment page for an open invoice when Stripe is
configured, and the proposal PDF.

The same query services and commands as /v1/cases, with the API's roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from application.cases.commands import CreatePaymentLink
from application.cases.ports import PaymentProviderUnavailable
from application.cases.views import (
    CaseFilters,
    CaseQueries,
    CaseView,
    ProposalData,
    ProposalRenderer,
)
from domain.shared import NotFound
from entrypoints.http.commands import context
from entrypoints.http.console.formats import money
from entrypoints.http.console.pages import PAGE_ERRORS, attempt, page
from entrypoints.http.deps import Bus, Id, Provided, Reads, Req
from entrypoints.http.security import ALL_ROLES, CONSOLE, WRITERS, roles

Cases = Provided[CaseQueries]
READ_MODELS = ("cases",)
PER_PAGE = 20
STATUSES = ("draft", "quoted", "accepted", "in_progress", "completed", "cancelled")
Status = Annotated[str | None, QueryParameter(
    pattern="^(draft|quoted|accepted|in_progress|completed|cancelled)$")]


@dataclass(frozen=True)
class PaymentLinks:
    """Whether Stripe is configured, so that a payment page can be asked for."""

    enabled: bool


def _case(cases: CaseQueries, tenant_id: UUID, case_id: UUID) -> CaseView:
    view = cases.get(tenant_id, case_id)
    if view is None:
        raise NotFound("case not found")
    return view


class CasesController(Controller):
    path = f"{CONSOLE}/cases"
    opt = roles(*ALL_ROLES)
    include_in_schema = False
    exception_handlers = PAGE_ERRORS

    @get("/", sync_to_thread=True)
    def cases(self, request: Req, cases: Cases, status: Status = None,
              cursor: FromQuery[str | None] = None) -> Template:
        found = cases.page(request.user.tenant_id, CaseFilters(status=status), limit=PER_PAGE,
                           cursor=cursor)
        return page("cases.html", request, section="cases", cases=found, chosen=status,
                    statuses=STATUSES, cursor=cursor, money=money)

    @get("/{case_id:uuid}", sync_to_thread=True)
    def case(self, request: Req, case_id: Id, cases: Cases,
             payment_links: Provided[PaymentLinks]) -> Template:
        return self._page(request, _case(cases, request.user.tenant_id, case_id),
                          payment_links)

    def _page(self, request: Req, view: CaseView, payment_links: PaymentLinks,
              status: int = 200, **values: Any) -> Template:
        return page("case.html", request, status, section="cases", case=view,
                    payment_links=payment_links.enabled, **values, money=money)

    @get("/{case_id:uuid}/proposal.pdf", sync_to_thread=True)
    def proposal(self, request: Req, case_id: Id, cases: Cases,
                 proposals: Provided[ProposalRenderer]) -> Response[bytes]:
        tenant_id = request.user.tenant_id
        view = _case(cases, tenant_id, case_id)
        document = proposals.render(ProposalData(cases.tenant_name(tenant_id), view))
        return Response(document, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="proposal-{case_id}.pdf"'})

    @post("/{case_id:uuid}/invoices/{invoice_id:uuid}/payment-link", sync_to_thread=True,
          opt=roles(*WRITERS), status_code=303)
    def payment_link(self, request: Req, case_id: Id, invoice_id: Id, cases: Cases,
                     payment_links: Provided[PaymentLinks], bus: Bus,
                     reads: Reads) -> Redirect | Template:
        try:
            done = attempt(bus, CreatePaymentLink(case_id, invoice_id), context(request), reads,
                           READ_MODELS)
        except PaymentProviderUnavailable as down:
            error: str | None = f"{down.message} Nothing was recorded; try again later."
        else:
            error = done.error
        if error is not None:
            view = _case(cases, request.user.tenant_id, case_id)
            return self._page(request, view, payment_links, 409, error=error)
        return Redirect(f"{CONSOLE}/cases/{case_id}", status_code=303)
