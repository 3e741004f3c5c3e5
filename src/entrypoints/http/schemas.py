"""Schemas shared by every slice: the closed request base, common field types, event histories."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from application.ports import HistoryEntry


class In(BaseModel):
    """A request body: closed (an unknown field is a 422). Strings are taken as sent, so the
    lengths and patterns the document publishes are the ones checked (ADR 0077); the domain
    trims what it stores."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def every(cls) -> list[type[In]]:
        """Every request model defined so far (the slices import theirs)."""
        found: list[type[In]] = []
        pending = list(cls.__subclasses__())
        while pending:
            model = pending.pop()
            found.append(model)
            pending.extend(model.__subclasses__())
        return found


Name = Annotated[str, Field(min_length=1, max_length=200, examples=["Ana Ruiz"])]
EmailText = Annotated[str, Field(min_length=3, max_length=254, examples=["ana@example.com"])]
PhoneText = Annotated[str, Field(min_length=3, max_length=40, examples=["+34 612 345 678"],
                                 description="Any common format; stored as E.164")]
Region = Annotated[str, Field(min_length=2, max_length=2, pattern="^[A-Za-z]{2}$",
                              examples=["ES"],
                              description="ISO country for numbers without a +country code")]
SlugText = Annotated[str, Field(min_length=1, max_length=64,
                                pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")]
Note = Annotated[str, Field(max_length=4000)]

RFC3339 = (r"^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
           r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
           r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
"""An RFC 3339 date-time, the one form `format: date-time` names: an offset is required."""
_RFC3339 = re.compile(RFC3339)


def rfc3339(value: Any) -> Any:
    """Refuses what pydantic would otherwise read as a date-time: numbers and numeric strings
    (Unix times), dates without a time, times without an offset."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. "
                         "2026-12-01T09:00:00Z")
    return datetime.fromisoformat(value)  # past this validator, strict mode wants a datetime


Instant = Annotated[datetime, BeforeValidator(rfc3339), WithJsonSchema(
    {"type": "string", "format": "date-time", "pattern": RFC3339})]


# -- event histories ----------------------------------------------------------------------

class EventOut(BaseModel):
    type: str = Field(examples=["LeadCaptured"])
    version: int
    at: datetime
    actor: str = Field(examples=["user:8a6e0804-2bd0-4672-b79d-d97027f9071a"])
    data: dict[str, Any]

    @classmethod
    def of(cls, entry: HistoryEntry) -> EventOut:
        return cls(type=entry.type, version=entry.version, at=entry.at,  # type: ignore[arg-type]
                   actor=entry.actor, data=entry.data)


class EventsOut(BaseModel):
    items: list[EventOut]

    @classmethod
    def of(cls, entries: list[HistoryEntry]) -> EventsOut:
        return cls(items=[EventOut.of(e) for e in entries])
