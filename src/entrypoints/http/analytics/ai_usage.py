"""Tokens and estimated cost of AI answers per provider per day."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from application.conversations.views import ConversationQueries
from entrypoints.http.analytics.schemas import AiUsageOut, AiUsagePage
from entrypoints.http.commands import wait_for_own_writes
from entrypoints.http.deps import Provided, Reads, Req, instant, instant_query
from entrypoints.http.security import ANALYSTS, roles

Since = Annotated[date | None, QueryParameter(name="from",
                                              description="First UTC day, e.g. 2026-03-01")]
Until = Annotated[date | None, QueryParameter(name="to",
                                              description="Last UTC day, e.g. 2026-03-31")]
AsOf = Annotated[str | None, instant_query(
    "The figures exactly as they stood then (recomputed from the events recorded up to it); "
    "omit for the live figures", "2026-03-31T23:59:59Z")]


class AiUsageController(Controller):
    path = "/v1/analytics"
    tags = ["assistant"]
    opt = roles(*ANALYSTS)

    @get("/ai-usage", sync_to_thread=True, summary="Tokens and estimated cost per provider per day",
         description="From the `ai_usage` projection of every AI answer (withheld answers "
                     "and the drafts written for agents included: `replies` counts them all). "
                     "`from` and `to` are inclusive UTC days. `as_of` recomputes the figures "
                     "as they stood at that moment (ADR 0091).")
    def ai_usage(self, request: Req, usage: Provided[ConversationQueries],
                 reads: Reads, since: Since = None, until: Until = None, as_of: AsOf = None
                 ) -> Response[AiUsagePage]:
        moment = instant(as_of, "as_of")
        headers = {} if moment is not None else wait_for_own_writes(
            request, reads.gate, ("ai_usage",), reads.timeout)
        rows = usage.ai_usage(
            request.user.tenant_id, since=since.isoformat() if since else None,
            until=until.isoformat() if until else None, as_of=moment)
        return Response(AiUsagePage(as_of=moment, items=[AiUsageOut.of(r) for r in rows]),
                        headers=headers)
