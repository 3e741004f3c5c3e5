"""Schemas shared by every slice: the closed request base, common field types, event histories."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from application.ports import HistoryEntry


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Name = Annotated[str, Field(min_length=1, max_length=200, examples=["Ana Ruiz"])]
EmailText = Annotated[str, Field(min_length=3, max_length=254, examples=["ana@example.com"])]
PhoneText = Annotated[str, Field(min_length=3, max_length=40, examples=["+34 612 345 678"],
                                 description="Any common format; stored as E.164")]
Region = Annotated[str, Field(min_length=2, max_length=2, examples=["ES"],
                              description="ISO country for numbers without a +country code")]
SlugText = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][\w\-]*$")]
Note = Annotated[str, Field(max_length=4000)]


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
