"""Contact-center commands. Actions on an existing aggregate carry the If-Match version, if the
client sent one; ``as_agent`` names the acting agent when the caller acts as an agent (not as
a supervisor acting for one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

# -- agents -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterAgent:
    name: str
    skills: dict[str, int]
    capacity: dict[str, int]
    user_id: UUID | None = None
    timezone: str = "UTC"
    shifts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ChangeAgentProfile:
    agent_id: UUID
    expected_version: int | None
    skills: dict[str, int] | None = None
    capacity: dict[str, int] | None = None


@dataclass(frozen=True, slots=True)
class SetAgentShifts:
    agent_id: UUID
    expected_version: int | None
    timezone: str
    shifts: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ChangeAgentStatus:
    agent_id: UUID
    expected_version: int | None
    status: str
    reason: str | None = None


# -- queues -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueFields:
    name: str
    required_skills: dict[str, int]
    strategy: str
    target_answer_seconds: int
    target_percentage: int
    max_hold_seconds: int
    escalation_queue_id: UUID | None = None
    reservation_timeout_seconds: int = 30
    description: str | None = None
    default_for: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CreateQueue:
    fields: QueueFields


@dataclass(frozen=True, slots=True)
class ChangeQueue:
    queue_id: UUID
    expected_version: int | None
    changes: dict[str, Any]
    """Only the fields the client sent (a partial update of QueueFields)."""


# -- tasks --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateTask:
    queue_id: UUID
    channel: str
    priority: int = 0
    required_skills: dict[str, int] = field(default_factory=dict)
    contact_id: UUID | None = None
    lead_id: UUID | None = None
    title: str | None = None
    source_kind: str = "manual"
    source_ref: str | None = None
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class CreateTaskFromSource:
    """A task for something that happened elsewhere (a lead follow-up, a conversation
    hand-off), in the queue that receives that kind of source (``Queue.default_for``)."""

    source_kind: str
    source_ref: str
    channel: str
    lead_id: UUID | None = None
    contact_id: UUID | None = None
    priority: int = 0
    title: str | None = None
    not_before: datetime | None = None
    conversation_id: UUID | None = None
    """A hand-off: the task takes the conversation's channel and contact."""


@dataclass(frozen=True, slots=True)
class ReserveTask:
    """Issued by the dispatcher after routing chose the agent."""

    task_id: UUID
    agent_id: UUID


@dataclass(frozen=True, slots=True)
class AcceptTask:
    task_id: UUID
    expected_version: int | None
    as_agent: UUID | None


@dataclass(frozen=True, slots=True)
class RejectTask:
    task_id: UUID
    expected_version: int | None
    as_agent: UUID | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class StartWrapUp:
    task_id: UUID
    expected_version: int | None
    as_agent: UUID | None


@dataclass(frozen=True, slots=True)
class CompleteTask:
    task_id: UUID
    expected_version: int | None
    as_agent: UUID | None
    disposition: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CancelTask:
    task_id: UUID
    expected_version: int | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RecordTaskCsat:
    task_id: UUID
    score: int


@dataclass(frozen=True, slots=True)
class TimeOutReservation:
    task_id: UUID
    reservation_id: UUID


@dataclass(frozen=True, slots=True)
class EscalateTask:
    task_id: UUID


@dataclass(frozen=True, slots=True)
class EnqueueDueTask:
    task_id: UUID


@dataclass(frozen=True, slots=True)
class CloseFollowUpFromTask:
    """A completed follow-up task completes the lead's follow-up, with its disposition."""

    task_id: UUID


@dataclass(frozen=True, slots=True)
class WithdrawTaskForSource:
    """The thing a task was for was dealt with elsewhere (a follow-up completed on the lead):
    the task, if still open, is canceled."""

    source_kind: str
    source_ref: str
    reason: str


# -- dispositions and scripts -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddDisposition:
    code: str
    label: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CreateScript:
    title: str
    steps: list[str]
    queue_id: UUID | None = None
    lead_stage: str | None = None


@dataclass(frozen=True, slots=True)
class ReviseScript:
    script_id: UUID
    expected_version: int | None
    title: str
    steps: list[str]


@dataclass(frozen=True, slots=True)
class RetireScript:
    script_id: UUID
    expected_version: int | None
