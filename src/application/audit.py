"""Reading the audit log: the audit projection of every event, plus authentication events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.ports import Page


@dataclass(frozen=True, slots=True)
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: UUID
    occurred_at: datetime
    actor: str
    action: str
    resource_type: str
    resource_id: str | None
    version: int | None
    source: str  # "event" or "auth"
    ip: str | None
    user_agent: str | None
    detail: dict[str, Any]


class AuditQueries(Protocol):
    def page(self, tenant_id: UUID, filters: AuditFilters, *, limit: int,
             cursor: str | None) -> Page[AuditEntry]:
        """Newest first."""
        ...
