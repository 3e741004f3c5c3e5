"""Reading the audit log: the audit projection of every event, plus authentication events."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
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


CSV_COLUMNS = ("occurred_at", "actor", "action", "resource_type", "resource_id", "version",
               "source", "ip", "user_agent", "id")


def _cell(value: Any) -> str:
    """Text a spreadsheet would run as a formula is quoted (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_chunks(audit: AuditQueries, tenant_id: UUID, filters: AuditFilters,
               page_size: int = 500) -> Iterator[str]:
    """Every matching entry as CSV, newest first: the header, then one chunk per page read
    (the API's ``GET /v1/audit.csv`` and the console's download both stream it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    cursor = None
    while True:
        found = audit.page(tenant_id, filters, limit=page_size, cursor=cursor)
        for e in found.items:
            writer.writerow([_cell(v) for v in (
                e.occurred_at.isoformat(), e.actor, e.action, e.resource_type,
                e.resource_id, e.version, e.source, e.ip, e.user_agent, e.id)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if found.next_cursor is None:
            return
        cursor = found.next_cursor
