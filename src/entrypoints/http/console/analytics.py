"""Analytics for owners: lifetime value by source, campaign and cohort; agent performance per
day; AI usage and cost per day: each live or exactly as it stood at a past moment (ADR 0010,
ADR 0091). The same query services as ``GET /v1/analytics/*``; the page only arranges their
rows into tables and charts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, get
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from litestar.response import Template

from application.analytics import LtvQueries
from application.analytics.ltv import DEFINITION, GroupLtv
from application.contact_center.views import (
    AgentDay,
    AgentFilters,
    ContactCenterQueries,
    PerformanceQueries,
)
from application.conversations.views import AiUsageRow, ConversationQueries
from domain.ports import Clock
from entrypoints.http.console.charts import Chart, Series, major, money, percent, rounded
from entrypoints.http.console.pages import REPORT_ERRORS, page
from entrypoints.http.deps import Provided, Req
from entrypoints.http.security import ANALYSTS, CONSOLE, roles

DIMENSIONS = (("source", "By source"), ("campaign", "By campaign"), ("cohort", "By cohort"))
DAYS_SHOWN = 14
AGENTS_SHOWN = 200
NONE = "(none)"
Moment = Annotated[str | None, QueryParameter(
    max_length=32, pattern=r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")]
Day = Annotated[str | None, QueryParameter(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")]
Code = Annotated[str | None, QueryParameter(max_length=3, pattern="^([A-Za-z]{3})?$")]


def utc_moment(text: str | None) -> datetime | None:
    """A ``datetime-local`` field, read as UTC (the page says so); empty: live."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise ValidationException("not a moment of the calendar") from None


def utc_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationException("not a day of the calendar") from None


@dataclass(frozen=True)
class LtvSection:
    dimension: str
    title: str
    groups: list[GroupLtv]
    chart: Chart


def _ltv_chart(dimension: str, title: str, groups: list[GroupLtv], currency: str) -> Chart:
    labels = [g.key or NONE for g in groups]
    return Chart(f"ltv-{dimension}", f"LTV {title.lower()} ({currency})",
                 "bar", labels,
                 [Series("Net LTV", [major(g.net, currency) for g in groups]),
                  Series("Average per customer", [major(g.average, currency) for g in groups])],
                 unit=currency)


@dataclass(frozen=True)
class AnalyticsReads:
    ltv: LtvQueries
    performance: PerformanceQueries
    center: ContactCenterQueries
    usage: ConversationQueries
    clock: Clock

    def ltv_report(self, tenant_id: UUID, as_of: datetime | None,
                   currency: str | None) -> dict[str, Any]:
        """The three groupings in one currency (amounts in two currencies are never added):
        the one asked for, or the first the tenant has."""
        every = {dimension: self.ltv.groups(tenant_id, dimension, currency=None, as_of=as_of)
                 for dimension, _ in DIMENSIONS}
        currencies = sorted({g.currency for groups in every.values() for g in groups})
        chosen = currency.upper() if currency and currency.upper() in currencies \
            else (currencies[0] if currencies else None)
        sections = []
        for dimension, title in DIMENSIONS:
            groups = [g for g in every[dimension] if g.currency == chosen]
            sections.append(LtvSection(dimension, title, groups,
                                       _ltv_chart(dimension, title, groups, chosen or "")))
        return {"sections": sections, "currencies": currencies, "currency": chosen,
                "as_of": as_of, "definition": DEFINITION, "now": self.clock.now()}

    def agents_report(self, tenant_id: UUID, day: date | None,
                      as_of: datetime | None = None) -> dict[str, Any]:
        """The agents' figures on ``day`` (default: today, or the day of ``as_of``), and the
        days before it as charts; AI usage and cost over the same days. ``as_of``: both as
        they stood at that moment, recomputed from the events (ADR 0091)."""
        now = self.clock.now()
        last = day or (as_of or now).date()
        first = last - timedelta(days=DAYS_SHOWN - 1)
        start = datetime.combine(first, time(0), tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
        rows = self.performance.agent_days(tenant_id, start, end, now, as_of=as_of)
        names = {a.id: a.name for a in self.center.agents(
            tenant_id, AgentFilters(), limit=AGENTS_SHOWN, cursor=None).items}
        days = [(first + timedelta(days=n)).isoformat() for n in range(DAYS_SHOWN)]
        usage = self.usage.ai_usage(tenant_id, since=first.isoformat(), until=last.isoformat(),
                                    as_of=as_of)
        that_day = sorted((r for r in rows if r.day == last.isoformat()),
                          key=lambda r: names.get(r.agent_id, str(r.agent_id)))
        return {"day": last, "first": first, "rows": that_day, "names": names,
                "charts": _agent_charts(rows, names, days), "usage": usage,
                "usage_charts": _usage_charts(usage, days), "now": now, "as_of": as_of}


def _agent_charts(rows: list[AgentDay], names: dict[UUID, str], days: list[str]) -> list[Chart]:
    by_agent: dict[UUID, dict[str, AgentDay]] = defaultdict(dict)
    for r in rows:
        by_agent[r.agent_id][r.day] = r
    agents = sorted(by_agent, key=lambda a: names.get(a, str(a)))
    short = [d[5:] for d in days]

    def series(figure: Any) -> list[Series]:
        return [Series(names.get(a, str(a)[:8]), [
            figure(by_agent[a][d]) if d in by_agent[a] else None for d in days])
            for a in agents]

    return [
        Chart("agents-tasks", "Tasks handled per day", "bar", short,
              series(lambda r: r.tasks_handled), unit="tasks", stacked=True),
        Chart("agents-handle", "Average handle time per day", "line", short,
              series(lambda r: rounded(r.average_handle_seconds)), unit="seconds"),
        Chart("agents-occupancy", "Occupancy per day", "line", short,
              series(lambda r: percent(r.occupancy)), unit="%"),
    ]


def _usage_charts(usage: list[AiUsageRow], days: list[str]) -> list[Chart]:
    providers = sorted({r.provider for r in usage})
    at = {(r.day, r.provider): r for r in usage}
    short = [d[5:] for d in days]
    cost = [Series(f"{p} cost", [at[(d, p)].cost_micros / 1_000_000 if (d, p) in at else 0
                       for d in days]) for p in providers]
    tokens = [Series(f"{p} tokens", [at[(d, p)].tokens_in + at[(d, p)].tokens_out
                                     if (d, p) in at else 0 for d in days],
                     kind="line", axis="y2") for p in providers]
    return [Chart("ai-cost", "AI cost and tokens per day", "bar", short, [*cost, *tokens],
                  unit="USD (estimated)", unit2="tokens", stacked=False)]


class AnalyticsController(Controller):
    path = f"{CONSOLE}/analytics"
    opt = roles(*ANALYSTS)
    include_in_schema = False
    exception_handlers = REPORT_ERRORS

    @get("/", sync_to_thread=True)
    def ltv(self, request: Req, analytics_pages: Provided[AnalyticsReads],
            as_of: Moment = None, currency: Code = None) -> Template:
        report = analytics_pages.ltv_report(request.user.tenant_id, utc_moment(as_of), currency)
        return page("analytics.html", request, section="analytics", tab="ltv", money=money,
                    **report)

    @get("/agents", sync_to_thread=True)
    def agents(self, request: Req, analytics_pages: Provided[AnalyticsReads],
               day: Day = None, as_of: Moment = None) -> Template:
        report = analytics_pages.agents_report(request.user.tenant_id, utc_day(day),
                                               utc_moment(as_of))
        return page("analytics_agents.html", request, section="analytics", tab="agents",
                    **report)
