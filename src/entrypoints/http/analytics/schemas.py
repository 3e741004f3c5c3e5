"""Schemas of the reports: lifetime value, agent performance, AI usage."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.analytics.ltv import ContactLtv, GroupLtv
from application.contact_center.views import AgentDay
from application.conversations.views import AiUsageRow

# -- lifetime value ----------------------------------------------------------------------------

class ContactLtvOut(BaseModel):
    contact_id: UUID
    currency: str
    paid: int
    refunded: int
    disputed: int
    net: int = Field(description="The contact's LTV: paid - refunded - disputed")
    payments: int
    cases: int = Field(description="Cases with at least one payment in this currency")
    first_payment_at: datetime
    last_payment_at: datetime
    cohort: str = Field(examples=["2026-03"], description="Month (UTC) of the first payment")

    @classmethod
    def of(cls, item: ContactLtv) -> ContactLtvOut:
        return cls(contact_id=item.contact_id, currency=item.currency, paid=item.paid,
                   refunded=item.refunded, disputed=item.disputed, net=item.net,
                   payments=item.payments, cases=item.cases,
                   first_payment_at=item.first_payment_at,
                   last_payment_at=item.last_payment_at, cohort=item.cohort)


class GroupLtvOut(BaseModel):
    key: str | None = Field(description="The source, campaign or cohort month; null: none "
                                        "(a case opened without a lead, a lead without a "
                                        "campaign)")
    currency: str
    customers: int
    payments: int
    paid: int
    refunded: int
    disputed: int
    net: int
    average: int = Field(description="Average net per customer, minor units, half up")
    median: int = Field(description="Median net per customer, minor units, half up")

    @classmethod
    def of(cls, group: GroupLtv) -> GroupLtvOut:
        return cls(key=group.key, currency=group.currency, customers=group.customers,
                   payments=group.payments, paid=group.paid, refunded=group.refunded,
                   disputed=group.disputed, net=group.net, average=group.average,
                   median=group.median)


class LtvReportOut(BaseModel):
    group_by: Literal["contact", "source", "campaign", "cohort"]
    as_of: datetime | None = Field(description="null: the live report")
    definition: str = Field(examples=["historical-net/1"],
                            description="The LTV definition and its version (ADR 0010)")
    items: list[ContactLtvOut | GroupLtvOut] = Field(
        description="ContactLtvOut rows for group_by=contact, GroupLtvOut rows otherwise")
    next_cursor: str | None = Field(default=None, description="group_by=contact only")


# -- agent performance -------------------------------------------------------------------------

class AgentDayOut(BaseModel):
    agent_id: UUID
    day: str = Field(examples=["2026-03-02"], description="UTC day")
    tasks_handled: int
    average_handle_seconds: float | None = Field(description="Talk + wrap-up")
    average_talk_seconds: float | None
    average_wrap_up_seconds: float | None
    average_speed_of_answer_seconds: float | None
    first_contact_resolution: float | None = Field(
        description="Share of handled tasks with no new task for the same contact within 7 "
                    "days")
    fcr_tasks: int
    csat_average: float | None
    csat_responses: int
    occupancy: float | None = Field(description="Busy (busy + wrap_up) / logged-in time")
    busy_seconds: float
    logged_in_seconds: float
    sla_attainment: float | None
    leads_converted: int
    reservations_offered: int
    reservations_accepted: int
    reservations_rejected: int
    reservations_timed_out: int

    @classmethod
    def of(cls, view: AgentDay) -> AgentDayOut:
        return cls(**{f: getattr(view, f) for f in cls.model_fields})


class AgentDaysOut(BaseModel):
    as_of: datetime | None = Field(default=None, description="null: the live report")
    items: list[AgentDayOut]


# -- AI usage ----------------------------------------------------------------------------------

class AiUsageOut(BaseModel):
    day: str = Field(examples=["2026-03-01"])
    provider: str
    replies: int
    tokens_in: int
    tokens_out: int
    cost_micros: int
    average_latency_ms: int

    @classmethod
    def of(cls, row: AiUsageRow) -> AiUsageOut:
        return cls(day=row.day, provider=row.provider, replies=row.replies,
                   tokens_in=row.tokens_in, tokens_out=row.tokens_out,
                   cost_micros=row.cost_micros, average_latency_ms=row.average_latency_ms)


class AiUsagePage(BaseModel):
    as_of: datetime | None = Field(default=None, description="null: the live figures")
    items: list[AiUsageOut]
