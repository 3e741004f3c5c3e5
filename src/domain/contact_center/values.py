"""Contact-center value objects: channels, statuses, skills, capacity, shifts, SLA settings."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.shared.errors import InvalidValue

MAX_SKILL_LEVEL = 10
MAX_CAPACITY = 10
"""Per channel. Capacity is enforced with one claim per slot (``agent_slot``), so the slots
an agent could hold are bounded and can all be checked in one look-up."""
MAX_PRIORITY = 100

_SKILL = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,47}$")


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    WEBCHAT = "webchat"
    EMAIL = "email"


class Presence(StrEnum):
    """What an agent declares: logged out, ready for work, or on a break."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    BREAK = "break"


class AgentStatus(StrEnum):
    """The status a supervisor sees: the declared presence, overlaid by the work in hand
    (``busy`` while handling a task, ``wrap_up`` while only wrapping tasks up)."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    BUSY = "busy"
    BREAK = "break"
    WRAP_UP = "wrap_up"


class RoutingStrategy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    ROUND_ROBIN = "round_robin"
    PRIORITY = "priority"


class SourceKind(StrEnum):
    """What a task came from: the reference id names the call, conversation or follow-up."""

    INBOUND_CALL = "inbound_call"
    CONVERSATION_HANDOFF = "conversation_handoff"
    LEAD_FOLLOW_UP = "lead_follow_up"
    MANUAL = "manual"


StrEnumT = TypeVar("StrEnumT", bound=StrEnum)


def parse_enum(kind: type[StrEnumT], value: str, field: str) -> StrEnumT:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidValue(field, f"must be one of {allowed}") from None


def skill_levels(raw: Mapping[str, int], field: str = "skills") -> dict[str, int]:
    """Skills are lower-case names with a level from 1 to 10 (10 is the most proficient)."""
    if len(raw) > 50:
        raise InvalidValue(field, "at most 50 skills")
    levels: dict[str, int] = {}
    for name, level in raw.items():
        normalised = str(name).strip().lower()
        if not _SKILL.match(normalised):
            raise InvalidValue(field, f"skill {name!r}: 1-48 characters of a-z, 0-9, '_', '-'")
        if isinstance(level, bool) or not isinstance(level, int) \
                or not 1 <= level <= MAX_SKILL_LEVEL:
            raise InvalidValue(field, f"skill {normalised}: level must be 1-{MAX_SKILL_LEVEL}")
        levels[normalised] = level
    return dict(sorted(levels.items()))


def channel_capacity(raw: Mapping[str, int]) -> dict[str, int]:
    """How many tasks of each channel an agent handles at once (0 to 10)."""
    capacity: dict[str, int] = {}
    for name, slots in raw.items():
        channel = parse_enum(Channel, str(name), "capacity")
        if isinstance(slots, bool) or not isinstance(slots, int) \
                or not 0 <= slots <= MAX_CAPACITY:
            raise InvalidValue("capacity", f"{channel}: must be 0-{MAX_CAPACITY}")
        capacity[channel.value] = slots
    return dict(sorted(capacity.items()))


def meets(skills: Mapping[str, int], required: Mapping[str, int]) -> bool:
    """Every required skill is held at (at least) the required level."""
    return all(skills.get(name, 0) >= level for name, level in required.items())


def merge_requirements(*requirements: Mapping[str, int]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for required in requirements:
        for name, level in required.items():
            merged[name] = max(level, merged.get(name, 0))
    return dict(sorted(merged.items()))


# -- shifts -----------------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


def _minutes(text: str, field: str) -> int:
    match = _CLOCK.match(text.strip())
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise InvalidValue(field, "must be a time HH:MM between 00:00 and 24:00")
    return int(match.group(1)) * 60 + int(match.group(2))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class Shift:
    """A weekly shift in the schedule's time zone; ``end <= start`` runs past midnight."""

    weekday: int  # 0 = Monday
    start: int  # minutes after midnight
    end: int

    def covers(self, weekday: int, minute: int) -> bool:
        if self.start < self.end:
            return weekday == self.weekday and self.start <= minute < self.end
        return ((weekday == self.weekday and minute >= self.start)
                or (weekday == (self.weekday + 1) % 7 and minute < self.end))

    def to_data(self) -> dict[str, Any]:
        return {"day": WEEKDAYS[self.weekday], "start": _clock(self.start),
                "end": _clock(self.end)}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Shift:
        day = str(data.get("day", "")).strip().lower()[:3]
        if day not in WEEKDAYS:
            raise InvalidValue("shifts", "day must be one of " + ", ".join(WEEKDAYS))
        start = _minutes(str(data.get("start", "")), "shifts")
        end = _minutes(str(data.get("end", "")), "shifts")
        if start == end:
            raise InvalidValue("shifts", "a shift must not start and end at the same time")
        return cls(WEEKDAYS.index(day), start, end)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When an agent may be routed work. No shifts at all means no restriction."""

    timezone: str = "UTC"
    shifts: tuple[Shift, ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidValue("timezone", "must be an IANA time zone, e.g. Europe/Madrid"
                               ) from None
        if len(self.shifts) > 50:
            raise InvalidValue("shifts", "at most 50 shifts")

    def covers(self, at: datetime) -> bool:
        if not self.shifts:
            return True
        local = at.astimezone(ZoneInfo(self.timezone))
        weekday, minute = local.weekday(), local.hour * 60 + local.minute
        return any(shift.covers(weekday, minute) for shift in self.shifts)

    def to_data(self) -> list[dict[str, Any]]:
        return [shift.to_data() for shift in self.shifts]

    @classmethod
    def parse(cls, timezone: str, shifts: Sequence[Mapping[str, Any]]) -> Schedule:
        return cls(timezone, tuple(Shift.parse(s) for s in shifts))


# -- queues -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """A queue's SLA: answer ``target_percentage`` % of tasks within ``target_answer_seconds``;
    a task waiting ``max_hold_seconds`` in the queue is a breach, escalated to
    ``escalation_queue_id`` when one is set."""

    target_answer_seconds: int
    target_percentage: int
    max_hold_seconds: int
    escalation_queue_id: UUID | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.target_answer_seconds <= 7 * 86400:
            raise InvalidValue("target_answer_seconds", "must be 1 second to 7 days")
        if not 1 <= self.target_percentage <= 100:
            raise InvalidValue("target_percentage", "must be 1-100")
        if not self.target_answer_seconds <= self.max_hold_seconds <= 30 * 86400:
            raise InvalidValue("max_hold_seconds",
                               "must be at least the target answer time (and at most 30 days)")


def priority(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PRIORITY:
        raise InvalidValue("priority", f"must be an integer 0-{MAX_PRIORITY} (higher first)")
    return value
