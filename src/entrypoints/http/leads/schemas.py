"""Schemas of contacts, leads and lead imports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.contacts.views import ContactView
from application.leads.views import LeadView
from entrypoints.http.schemas import (
    EmailText,
    In,
    Instant,
    Name,
    Note,
    PhoneText,
    Region,
    SlugText,
)

# -- contacts ----------------------------------------------------------------------------------

class ContactCreate(In):
    name: Name | None = None
    email: EmailText | None = None
    phone: PhoneText | None = None
    region: Region | None = None


class ContactPatch(In):
    name: Name | None = None
    email: EmailText | None = None
    phone: PhoneText | None = None
    region: Region | None = None


class ConsentIn(In):
    channel: Literal["marketing", "sms", "whatsapp", "email", "voice"]
    granted: bool
    reason: str = Field(default="requested by the contact", max_length=200)


class ContactOut(BaseModel):
    id: UUID
    name: str | None
    email: str | None
    phone: str | None
    consents: dict[str, bool]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ContactView) -> ContactOut:
        return cls(id=view.id, name=view.name, email=view.email, phone=view.phone,
                   consents=view.consents, version=view.version, created_at=view.created_at,
                   updated_at=view.updated_at)


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None


# -- leads -------------------------------------------------------------------------------------

class LeadCreate(In):
    name: Name | None = None
    email: EmailText | None = None
    phone: PhoneText | None = None
    source: SlugText = Field(examples=["web_form"], description="Where the lead came from")
    campaign: SlugText | None = Field(default=None, examples=["spring-whitening"])
    channel: SlugText = Field(default="web", examples=["web"])
    notes: Note | None = None
    region: Region | None = None


class FollowUpOut(BaseModel):
    id: UUID
    due_at: datetime
    automatic: bool
    completed_at: datetime | None


class LeadOut(BaseModel):
    id: UUID
    contact_id: UUID
    status: Literal["new", "contacted", "qualified", "converted", "lost"]
    version: int = Field(description="Send it back in If-Match to act on this version")
    source: str
    campaign: str | None
    channel: str
    score: int | None
    assigned_to: UUID | None
    case_id: UUID | None
    follow_ups: list[FollowUpOut]
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime

    @classmethod
    def of(cls, view: LeadView) -> LeadOut:
        return cls(id=view.id, contact_id=view.contact_id, status=view.status,  # type: ignore[arg-type]
                   version=view.version, source=view.source, campaign=view.campaign,
                   channel=view.channel, score=view.score, assigned_to=view.assigned_to,
                   case_id=view.case_id,
                   follow_ups=[FollowUpOut(id=f.id, due_at=f.due_at, automatic=f.automatic,
                                           completed_at=f.completed_at) for f in view.follow_ups],
                   name=view.name, email=view.email, phone=view.phone,
                   created_at=view.created_at, updated_at=view.updated_at,
                   last_activity_at=view.last_activity_at)


class CapturedLeadOut(LeadOut):
    contact_created: bool = Field(description="False when the lead was attached to an existing "
                                              "contact with the same email or phone")


class LeadPage(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None


class AssignIn(In):
    agent_id: UUID | None = Field(description="The user who owns the lead; null to unassign")


class ContactedIn(In):
    channel: SlugText = Field(examples=["phone"])
    outcome: SlugText = Field(examples=["reached"], description="e.g. reached, voicemail, "
                                                                "no_answer")
    note: Note | None = None


class ScoreIn(In):
    score: int = Field(ge=0, le=100, examples=[72])
    reasons: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list,
                                                                  max_length=20)


class NoteIn(In):
    note: Note | None = None


class FollowUpIn(In):
    due_at: Instant = Field(examples=["2026-12-01T09:00:00Z"], description="With a timezone")
    note: Note | None = None


class FollowUpDoneIn(In):
    outcome: Note | None = None


class LoseIn(In):
    reason: str = Field(min_length=1, max_length=1000, examples=["chose another clinic"])


class ReopenIn(In):
    reason: str | None = Field(default=None, max_length=1000)


# -- imports -----------------------------------------------------------------------------------

class RowOutcomeOut(BaseModel):
    row: int = Field(description="Line number in the file (the header is line 1)")
    outcome: Literal["accepted", "duplicate", "rejected"]
    lead_id: UUID | None = None
    existing_id: UUID | None = None
    reason: str | None = None


class ImportReportOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    rows: list[RowOutcomeOut]


# -- erasure ------------------------------------------------------------------------------------

class ErasureReceiptOut(BaseModel):
    contact_id: UUID
    erased_at: datetime
    requested_by: str
    already_erased: bool = Field(description="True when the contact had been erased before")
    data_key: Literal["destroyed"] = Field(
        default="destroyed",
        description="Every personal field ever recorded for the person now reads [erased]; "
                    "events, ids and amounts are kept")
    read_models_purged: list[str] = Field(
        description="Read models that delete the person's rows when they reach the erasure "
                    "(send X-Frontdesk-Position back as X-Frontdesk-Min-Position to wait)")
    files_rewritten: str = Field(
        default="after every read model has purged the person, their tables are rewritten so "
                "no copy remains in the database files",
        description="What happens to the database files")
