"""The audit log: who did what to which resource, and when — one row per event of every
bounded context (authentication events join it at read time, from their own table).

It never needs a personal field (they are not even decrypted for it), so it keeps working for
erased people: their events stay in the audit log with ids and actors, without their data.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from application.projections.base import Event, Projection, RowKey, ViewRows

TABLE = "audit_log"


def audit_id(event: Any) -> UUID:
    return uuid5(NAMESPACE_URL, f"frontdesk:audit:{event.originator_id}:"
                                f"{event.originator_version}")


def resource_type(event: Any) -> str:
    """``Lead`` for ``Lead.LeadCaptured``; the module's last part for a top-level event."""
    qualified = type(event).__qualname__
    owner, _, _ = qualified.rpartition(".")
    return owner or type(event).__module__.rsplit(".", 1)[-1].capitalize()


class AuditProjection(Projection):
    name = "audit_log"
    version = 1
    tables = (TABLE,)
    handles_all = True

    def keys(self, event: Event) -> list[tuple[str, RowKey]]:
        return []  # rows are only ever inserted: nothing to fetch first

    def apply(self, event: Event, rows: ViewRows) -> None:
        tenant_id = getattr(event, "tenant_id", None)
        if tenant_id is None:
            return
        identity = audit_id(event)
        rows.put(TABLE, (tenant_id, identity), {
            "tenant_id": tenant_id, "id": identity,
            "occurred_at": getattr(event, "timestamp", None),
            "actor": str(getattr(event, "actor", None) or "system"),
            "action": type(event).__name__,
            "resource_type": resource_type(event),
            "resource_id": str(event.originator_id),
            "version": event.originator_version})
