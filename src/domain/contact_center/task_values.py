"""Values of the Task aggregate: its statuses, its reservation, the script it pinned, and the
claims it holds (its source; a capacity slot of its agent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.contact_center.values import SourceKind
from domain.shared.aggregate import Claim


class TaskStatus(StrEnum):
    CREATED = "created"
    QUEUED = "queued"
    RESERVED = "reserved"
    ACCEPTED = "accepted"
    WRAP_UP = "wrap_up"
    COMPLETED = "completed"
    CANCELED = "canceled"


HOLDING_SLOT = frozenset({TaskStatus.RESERVED, TaskStatus.ACCEPTED, TaskStatus.WRAP_UP})
FINAL = frozenset({TaskStatus.COMPLETED, TaskStatus.CANCELED})


@dataclass(frozen=True, slots=True)
class Reservation:
    id: UUID
    agent_id: UUID
    slot: int
    reserved_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PinnedScript:
    """The script revision current when the task was reserved: the one its agent is shown."""

    script_id: UUID
    revision: int


def slot_claim(agent_id: UUID, channel: str, slot: int) -> Claim:
    return Claim("agent_slot", f"{agent_id}:{channel}:{slot}")


def source_claim(kind: SourceKind, ref: str) -> Claim:
    return Claim("task_source", f"{kind.value}:{ref}")
