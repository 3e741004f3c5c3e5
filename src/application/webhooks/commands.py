"""Commands of outbound webhooks (admins; the dispatcher disables after persistent failure)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class CreateSubscription:
    url: str
    event_types: list[str]
    description: str | None = None


@dataclass(frozen=True, slots=True)
class DisableSubscription:
    subscription_id: UUID
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class EnableSubscription:
    subscription_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class RemoveSubscription:
    subscription_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ReplaySubscription:
    subscription_id: UUID
    after: str
    """A position ``TX:ID``: every subscribed event committed after it is delivered again."""
