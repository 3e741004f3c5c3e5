"""Request and response schemas of the contact-center API (pydantic), with OpenAPI
descriptions and examples."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.contact_center.views import (
    AgentView,
    DispositionView,
    Overview,
    QueueOverview,
    QueueView,
    ScriptView,
    TaskView,
)
from entrypoints.http.schemas import In, Instant

ChannelName = Literal["voice", "sms", "whatsapp", "webchat", "email"]
Strategy = Literal["longest_idle", "round_robin", "priority"]
SourceKindName = Literal["inbound_call", "conversation_handoff", "lead_follow_up", "manual"]
SkillName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,47}$")]
"""Stored lower-cased."""
SkillLevel = Annotated[int, Field(ge=1, le=10)]
Skills = Annotated[dict[SkillName, SkillLevel], Field(
    max_length=50, examples=[{"sales": 3, "spanish": 2}],
    description="Skill name (a-z, 0-9, '_', '-') to level 1-10 (10 most proficient)")]
Capacity = Annotated[dict[ChannelName, Annotated[int, Field(ge=0, le=10)]], Field(
    examples=[{"voice": 1, "webchat": 3}],
    description="How many tasks of each channel (voice, sms, whatsapp, webchat, email) the "
                "agent handles at once (0-10)")]


# -- agents -----------------------------------------------------------------------------------

class ShiftIn(In):
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = Field(examples=["mon"])
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["09:00"])
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["17:00"],
                     description="Not after start: the shift runs past midnight")


class ShiftsIn(In):
    timezone: str = Field(default="UTC", max_length=64, examples=["Europe/Madrid"],
                          description="IANA time zone of the shift times")
    shifts: list[ShiftIn] = Field(max_length=50, description="Weekly shifts; an empty list "
                                                             "lifts every restriction")


class AgentCreate(In):
    name: str = Field(min_length=1, max_length=200, examples=["Marta Gil"])
    user_id: UUID | None = Field(default=None, description="The user (login) who is this "
                                 "agent; the agent then has the user's id")
    skills: Skills = Field(default_factory=dict)
    capacity: Capacity = Field(default_factory=lambda: {"voice": 1})  # type: ignore[arg-type]
    timezone: str = Field(default="UTC", max_length=64, examples=["Europe/Madrid"])
    shifts: list[ShiftIn] = Field(default_factory=list, max_length=50)


class AgentPatch(In):
    skills: Skills | None = Field(
        default=None, examples=[{"sales": 4, "spanish": 2}],
        description="Replaces the agent's skills: name to level 1-10")
    capacity: Capacity | None = Field(
        default=None, examples=[{"voice": 1, "webchat": 3}],
        description="Replaces the agent's capacity per channel (0-10)")


class StatusIn(In):
    status: Literal["offline", "available", "break"] = Field(
        examples=["available"], description="The declared presence; busy and wrap_up follow "
                                            "from the tasks an agent works on")
    reason: str | None = Field(default=None, max_length=500, examples=["lunch"])


class AgentOut(BaseModel):
    id: UUID
    user_id: UUID | None
    name: str
    skills: dict[str, int]
    capacity: dict[str, int]
    timezone: str
    shifts: list[dict[str, Any]]
    presence: str = Field(description="Declared: offline, available or break")
    presence_since: datetime
    status: str | None = Field(description="Presence overlaid by work: busy while handling a "
                                           "task, wrap_up while wrapping up (null in a write's "
                                           "answer; read the agent to see it)")
    status_since: datetime | None
    load: dict[str, int] | None = Field(description="Tasks held per channel (reserved or "
                                                    "worked)")
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: AgentView) -> AgentOut:
        return cls(id=view.id, user_id=view.user_id, name=view.name, skills=view.skills,
                   capacity=view.capacity, timezone=view.timezone, shifts=view.shifts,
                   presence=view.presence, presence_since=view.presence_since,
                   status=view.status, status_since=view.status_since, load=view.load,
                   version=view.version, created_at=view.created_at,
                   updated_at=view.updated_at)


class AgentPage(BaseModel):
    items: list[AgentOut]
    next_cursor: str | None


# -- queues -----------------------------------------------------------------------------------

class QueueCreate(In):
    name: str = Field(min_length=1, max_length=100, examples=["Sales"])
    description: str | None = Field(default=None, max_length=1000)
    required_skills: Skills = Field(default_factory=dict)
    strategy: Strategy = Field(default="longest_idle", description="How an agent is chosen "
                               "among those who qualify (ADR 0030)")
    target_answer_seconds: int = Field(ge=1, examples=[30], description="SLA: answer within")
    target_percentage: int = Field(ge=1, le=100, examples=[80],
                                   description="SLA: share of tasks answered within the target")
    max_hold_seconds: int = Field(ge=1, examples=[300], description="Waiting this long in the "
                                  "queue breaches the SLA and escalates the task")
    escalation_queue_id: UUID | None = None
    reservation_timeout_seconds: int = Field(default=30, ge=5, le=3600,
                                             description="An offer not accepted in this time "
                                                         "returns the task to the queue")
    default_for: list[SourceKindName] = Field(
        default_factory=list, examples=[["lead_follow_up"]],
        description="Tasks from these sources go to this queue (one queue per source kind)")


UNCHANGED: Any = None
"""The default of a PATCH field that cannot be cleared: left out means unchanged."""


class QueuePatch(In):
    """Only the fields sent change."""

    # Left out: unchanged. Only `description` and `escalation_queue_id` can be cleared with
    # null; the others do not admit it (``UNCHANGED`` is a default, never validated).
    name: str = Field(default=UNCHANGED, min_length=1, max_length=100, examples=["Sales"])
    description: str | None = Field(default=None, max_length=1000)
    required_skills: Skills = Field(default=UNCHANGED, examples=[{"sales": 2}],
                                            description="Skill name to minimum level")
    strategy: Strategy = Field(default=UNCHANGED, examples=["round_robin"])
    target_answer_seconds: int = Field(default=UNCHANGED, ge=1, examples=[20])
    target_percentage: int = Field(default=UNCHANGED, ge=1, le=100, examples=[90])
    max_hold_seconds: int = Field(default=UNCHANGED, ge=1, examples=[240])
    escalation_queue_id: UUID | None = Field(default=None, description="Where tasks held past "
                                             "the maximum go")
    reservation_timeout_seconds: int = Field(default=UNCHANGED, ge=5, le=3600, examples=[20])
    default_for: list[SourceKindName] = Field(default=UNCHANGED,
                                              examples=[["conversation_handoff"]])


class QueueOut(BaseModel):
    id: UUID
    name: str
    description: str | None
    required_skills: dict[str, int]
    strategy: str
    target_answer_seconds: int
    target_percentage: int
    max_hold_seconds: int
    escalation_queue_id: UUID | None
    reservation_timeout_seconds: int
    default_for: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: QueueView) -> QueueOut:
        return cls(**{f: getattr(view, f) for f in cls.model_fields})


class QueuePage(BaseModel):
    items: list[QueueOut]
    next_cursor: str | None


# -- tasks ------------------------------------------------------------------------------------

class SourceIn(In):
    kind: SourceKindName = Field(examples=["inbound_call"])
    id: str = Field(min_length=1, max_length=200, examples=["CA5f1e2d..."],
                    description="The call, conversation or follow-up it came from; a second "
                                "task for the same source is a 409 duplicate-task")


class TaskCreate(In):
    channel: ChannelName = Field(examples=["voice"])
    priority: int = Field(default=0, ge=0, le=100, description="Higher first")
    required_skills: Skills = Field(default_factory=dict,
                                    description="On top of the queue's required skills")
    contact_id: UUID | None = None
    lead_id: UUID | None = Field(default=None, description="Sets the contact and the lead "
                                                           "stage (scripts per stage)")
    title: str | None = Field(default=None, max_length=500, examples=["Asks about whitening"])
    source: SourceIn | None = None
    not_before: Instant | None = Field(default=None, description="Wait in the queue only "
                                        "from then (a scheduled callback)")


class RejectIn(In):
    reason: str | None = Field(default=None, max_length=500, examples=["on another call"],
                               description="Why the agent declines (kept in the history)")


class TaskCompleteIn(In):
    disposition: str = Field(min_length=2, max_length=48, examples=["APPOINTMENT_BOOKED"],
                             description="A standard code or one of the tenant's "
                                         "(GET /v1/dispositions)")
    note: str | None = Field(default=None, max_length=4000)


class TaskCancelIn(In):
    reason: str | None = Field(default=None, max_length=500, examples=["caller hung up"],
                               description="Why the task ends without being handled")


class TaskCsatIn(In):
    score: int = Field(ge=1, le=5, examples=[5])


class TaskOut(BaseModel):
    id: UUID
    queue_id: UUID
    status: Literal["created", "queued", "reserved", "accepted", "wrap_up", "completed",
                    "canceled"]
    version: int = Field(description="Send it back in If-Match to act on this version")
    channel: str
    priority: int
    required_skills: dict[str, int]
    source_kind: str
    source_ref: str | None
    contact_id: UUID | None
    lead_id: UUID | None
    lead_stage: str | None
    title: str | None
    not_before: datetime | None
    queued_at: datetime | None = Field(description="When its wait began (the SLA clock)")
    queue_entered_at: datetime | None = Field(description="When it entered its current queue "
                                                          "(the maximum-hold clock)")
    reserved_for: UUID | None = Field(description="The agent the task is offered to")
    reservation_id: UUID | None
    reservation_expires_at: datetime | None
    agent_id: UUID | None = Field(description="The agent who accepted it")
    accepted_at: datetime | None
    wrap_up_at: datetime | None
    ended_at: datetime | None
    disposition: str | None
    csat: int | None
    script_id: UUID | None
    script_revision: int | None = Field(description="The script revision current when the "
                                                    "task was reserved")
    breaches: int
    escalations: int
    declined_by: list[UUID]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: TaskView) -> TaskOut:
        return cls(**{f: getattr(view, f) for f in cls.model_fields})


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None


# -- dispositions and scripts -----------------------------------------------------------------

class DispositionIn(In):
    code: str = Field(min_length=2, max_length=48, pattern=r"^[A-Za-z][A-Za-z0-9_]+$",
                      examples=["TREATMENT_PLAN_SENT"])
    label: str = Field(min_length=1, max_length=100, examples=["Treatment plan sent"])
    description: str | None = Field(default=None, max_length=500)


class DispositionOut(BaseModel):
    code: str
    label: str
    description: str | None
    standard: bool = Field(description="One of the standard codes every tenant has")

    @classmethod
    def of(cls, view: DispositionView) -> DispositionOut:
        return cls(code=view.code, label=view.label, description=view.description,
                   standard=view.standard)


class DispositionList(BaseModel):
    items: list[DispositionOut]


Step = Annotated[str, Field(min_length=1, max_length=4000)]


class ScriptCreate(In):
    title: str = Field(min_length=1, max_length=200, examples=["Whitening follow-up"])
    steps: list[Step] = Field(min_length=1, max_length=100, examples=[[
        "Greet the customer by name", "Confirm the treatment they asked about",
        "Offer the first free slot"]])
    queue_id: UUID | None = Field(default=None, description="The queue it is for …")
    lead_stage: Literal["new", "contacted", "qualified", "converted", "lost"] | None = Field(
        default=None, description="… or the lead stage it is for (one of the two)")


class ScriptRevise(In):
    title: str = Field(min_length=1, max_length=200, examples=["Whitening follow-up v2"])
    steps: list[Step] = Field(min_length=1, max_length=100, examples=[[
        "Greet the customer by name", "Offer the spring price", "Book the first free slot"]],
        description="The new revision's steps, in order")


class ScriptOut(BaseModel):
    id: UUID
    target_kind: Literal["queue", "lead_stage"]
    target: str
    title: str
    steps: list[str]
    revision: int
    revisions: list[int]
    retired: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ScriptView) -> ScriptOut:
        return cls(**{f: getattr(view, f) for f in cls.model_fields})


class ScriptPage(BaseModel):
    items: list[ScriptOut]
    next_cursor: str | None


# -- supervisor and analytics -----------------------------------------------------------------

class QueueOverviewOut(BaseModel):
    id: UUID
    name: str
    strategy: str
    waiting: int = Field(description="Queued, not yet offered")
    scheduled: int = Field(description="Created, waiting for their not_before")
    reserved: int = Field(description="Offered to an agent, not yet accepted")
    in_progress: int = Field(description="Accepted or in wrap-up")
    oldest_waiting_since: datetime | None
    oldest_wait_seconds: float | None = Field(description="Now minus oldest_waiting_since")
    target_answer_seconds: int
    target_percentage: int
    answered_today: int
    met_today: int
    missed_today: int
    abandoned_today: int
    breaches_today: int
    sla_attainment_today: float | None = Field(
        description="met / (met + missed) since midnight UTC (ADR 0031); null before any")
    agents_by_status: dict[str, int] = Field(description="Agents with the queue's skills")

    @classmethod
    def of(cls, view: QueueOverview) -> QueueOverviewOut:
        return cls(**{f: getattr(view, f) for f in cls.model_fields})


class OverviewOut(BaseModel):
    at: datetime = Field(description="The moment the now-dependent figures refer to")
    day_start: datetime
    waiting: int
    agents_by_status: dict[str, int]
    queues: list[QueueOverviewOut]

    @classmethod
    def of(cls, view: Overview) -> OverviewOut:
        return cls(at=view.at, day_start=view.day_start, waiting=view.waiting,
                   agents_by_status=view.agents_by_status,
                   queues=[QueueOverviewOut.of(q) for q in view.queues])
