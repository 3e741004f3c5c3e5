"""Historical lifetime value, live or as of any past moment."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Response, get
from litestar.params import FromQuery, QueryParameter

from application.analytics import LtvQueries
from application.analytics.ltv import DEFINITION
from domain.shared.money import currency_code
from entrypoints.http.analytics.schemas import ContactLtvOut, GroupLtvOut, LtvReportOut
from entrypoints.http.commands import wait_for_own_writes
from entrypoints.http.deps import Cursor, Limit, Provided, Reads, Req, instant, instant_query
from entrypoints.http.security import ANALYSTS, roles

GroupBy = Annotated[Literal["contact", "source", "campaign", "cohort"], QueryParameter(
    description="contact: one row per contact and currency, highest LTV first, paginated; "
                "source / campaign: attributed through lead -> case -> payment; cohort: "
                "month of the first payment")]
Currency = Annotated[str | None, QueryParameter(pattern="^[A-Za-z]{3}$",
                                               description="ISO 4217 code: only that currency")]
AsOf = Annotated[str | None, instant_query(
    "The report exactly as it stood then (recomputed from the events); omit for the live "
    "report", "2026-03-31T23:59:59Z")]


class LtvController(Controller):
    path = "/v1/analytics"
    tags = ["analytics"]
    opt = roles(*ANALYSTS)

    @get("/ltv", sync_to_thread=True, summary="Lifetime value",
         description="Historical LTV from recorded money: payments minus refunds minus "
                     "disputes, per currency (amounts in different currencies are never "
                     "added), integer minor units. Groups carry customers, average and median "
                     "per customer. `as_of` recomputes the report as it stood at that moment; "
                     "`definition` names the LTV definition version (ADR 0010).")
    def ltv(self, request: Req, ltv: Provided[LtvQueries], reads: Reads,
            group_by: GroupBy = "contact", as_of: AsOf = None,
            currency: Currency = None, contact_id: FromQuery[UUID | None] = None,
            limit: Limit = 50, cursor: Cursor = None) -> Response[LtvReportOut]:
        moment = instant(as_of, "as_of")
        code = currency_code(currency) if currency else None
        headers = {} if moment is not None else wait_for_own_writes(request, reads.gate,
                                                                   ("ltv",), reads.timeout)
        tenant_id = request.user.tenant_id
        items: list[ContactLtvOut | GroupLtvOut]
        next_cursor = None
        if group_by == "contact":
            page = ltv.contacts(tenant_id, currency=code, contact_id=contact_id,
                                limit=limit, cursor=cursor, as_of=moment)
            items, next_cursor = [ContactLtvOut.of(i) for i in page.items], page.next_cursor
        else:
            items = [GroupLtvOut.of(g) for g in ltv.groups(
                tenant_id, group_by, currency=code, as_of=moment)]
        return Response(LtvReportOut(group_by=group_by, as_of=moment, definition=DEFINITION,
                                     items=items, next_cursor=next_cursor), headers=headers)
