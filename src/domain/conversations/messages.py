"""The messages a conversation holds, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.conversations.values import Delivery


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


@dataclass(frozen=True, slots=True)
class Message:
    id: UUID
    sequence: int
    direction: Direction
    author: str  # "customer", or an Author for outbound messages
    body: str
    at: datetime
    external_id: str | None = None
    delivery: Delivery = Delivery.NOT_APPLICABLE
    attempts: int = 0
    attempted_at: datetime | None = None
    """When the last dispatch attempt started; an attempt with no outcome is unresolved."""
    in_reply_to: str | None = None
    event_version: int = 0
    """The version of the event that recorded the message (read models key copies by it)."""
    body_deleted: bool = False


@dataclass(frozen=True, slots=True)
class Call:
    sid: str
    statuses: tuple[str, ...]
    answered: bool
    duration_seconds: int | None
    recording_url: str | None
