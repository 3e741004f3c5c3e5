"""Contact commands (imperative names; one aggregate each)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class RegisterContact:
    name: str | None
    email: str | None
    phone: str | None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeContactDetails:
    contact_id: UUID
    expected_version: int | None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeContactConsent:
    contact_id: UUID
    expected_version: int | None
    channel: str
    granted: bool
    reason: str
