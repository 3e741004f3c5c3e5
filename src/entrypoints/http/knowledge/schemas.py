"""Schemas of knowledge documents and of the memory search."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from entrypoints.http.schemas import In


class KnowledgeIn(In):
    title: str = Field(min_length=1, max_length=300, examples=["Prices and opening hours"])
    text: str = Field(min_length=1, max_length=200_000,
                      examples=["Teeth whitening costs 300 EUR and takes one hour.\n\n"
                                "We are open Monday to Friday, 9:00 to 18:00."])
    source: str | None = Field(default=None, max_length=500, examples=["price-list-2026.pdf"])


class KnowledgeOut(BaseModel):
    id: UUID
    title: str
    source: str | None
    passages: int = Field(description="How many passages the text was split into")
    version: int


class KnowledgeRemovedOut(BaseModel):
    id: UUID
    removed: bool = Field(description="Always true: the document is removed")
    version: int = Field(description="The document's version with its removal")
    already_removed: bool = Field(description="It had been removed before this request "
                                              "(nothing was recorded this time)")


class KnowledgeDocumentOut(BaseModel):
    id: UUID
    title: str
    source: str | None
    passages: int
    created_at: datetime


class PassageOut(BaseModel):
    ref: str
    title: str
    text: str
    score: float


class EntityOut(BaseModel):
    kind: Literal["email", "phone", "date", "amount", "name"]
    value: str


class MemoryHitOut(BaseModel):
    id: UUID
    kind: str = Field(examples=["note", "contact_note", "message", "call_summary"])
    text: str
    occurred_at: datetime
    source: dict[str, Any] = Field(description="The event this memory came from")
    score: float = Field(description="similarity * decay + entity_boost")
    similarity: float
    decay: float = Field(description="0.5 ** (age_days / half-life)")
    age_days: float
    entity_boost: float
    entities_matched: list[EntityOut]


class MemorySearchOut(BaseModel):
    query: str
    model: str = Field(description="Embedding model; only memories of this model are searched")
    entities: list[EntityOut] = Field(description="Entities recognised in the query")
    latency_ms: float
    items: list[MemoryHitOut]
