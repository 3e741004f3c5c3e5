"""Lead commands. Actions on an existing lead carry the If-Match version, if the client sent one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class CaptureLead:
    name: str | None
    email: str | None
    phone: str | None
    source: str
    campaign: str | None = None
    channel: str = "web"
    notes: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class AssignLead:
    lead_id: UUID
    expected_version: int | None
    agent_id: UUID | None


@dataclass(frozen=True, slots=True)
class RecordLeadContact:
    lead_id: UUID
    expected_version: int | None
    channel: str
    outcome: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ScoreLead:
    lead_id: UUID
    expected_version: int | None
    score: int
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QualifyLead:
    lead_id: UUID
    expected_version: int | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleFollowUp:
    lead_id: UUID
    expected_version: int | None
    due_at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CompleteFollowUp:
    lead_id: UUID
    expected_version: int | None
    follow_up_id: UUID
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class ConvertLead:
    lead_id: UUID
    expected_version: int | None


@dataclass(frozen=True, slots=True)
class LoseLead:
    lead_id: UUID
    expected_version: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class ReopenLead:
    lead_id: UUID
    expected_version: int | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleStaleFollowUp:
    """Issued by the stale-lead policy, never by a client."""

    lead_id: UUID
    stale_after_seconds: int


@dataclass(frozen=True, slots=True)
class ImportLeads:
    """Rows of a parsed CSV file, header names as keys."""

    rows: list[dict[str, str]]
    default_source: str = "import"
