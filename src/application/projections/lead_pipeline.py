"""The lead_pipeline read model: one row per lead, with its status, score and follow-ups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from application.projections.base import Projection, Row, ViewRows, by_originator
from domain.contacts import Contact
from domain.leads import Lead, LeadStatus

TABLE = "lead_pipeline"
OPEN = (LeadStatus.NEW.value, LeadStatus.CONTACTED.value, LeadStatus.QUALIFIED.value)


class LeadPipelineProjection(Projection):
    name = "lead_pipeline"
    version = 1
    tables = (TABLE,)

    def __init__(self) -> None:
        super().__init__()
        keys = by_originator(TABLE)
        self.on(Lead.LeadCaptured, self._captured, keys)
        self.on(Lead.LeadAssigned, self._update(lambda e, r: {"assigned_to": e.agent_id}), keys)
        self.on(Lead.LeadContacted, self._update(self._contacted), keys,
                uses_personal_data=False)
        self.on(Lead.LeadScored, self._update(
            lambda e, r: {"score": e.score, "score_reasons": list(e.reasons)}), keys)
        self.on(Lead.LeadQualified, self._update(
            lambda e, r: {"status": LeadStatus.QUALIFIED.value}), keys, uses_personal_data=False)
        self.on(Lead.FollowUpScheduled, self._update(self._follow_up_scheduled), keys,
                uses_personal_data=False)
        self.on(Lead.FollowUpCompleted, self._update(self._follow_up_completed), keys,
                uses_personal_data=False)
        self.on(Lead.LeadConverted, self._update(
            lambda e, r: {"status": LeadStatus.CONVERTED.value, "case_id": e.case_id,
                          "status_before_close": r["status"]}), keys)
        self.on(Lead.LeadLost, self._update(
            lambda e, r: {"status": LeadStatus.LOST.value, "lost_reason": e.reason,
                          "status_before_close": r["status"]}), keys)
        self.on(Lead.LeadReopened, self._update(
            lambda e, r: {"status": r.get("status_before_close") or LeadStatus.NEW.value,
                          "status_before_close": None, "lost_reason": None,
                          "last_activity_at": e.timestamp}), keys, uses_personal_data=False)
        self.on(Contact.ContactErased, self._contact_erased, lambda e: [])

    @staticmethod
    def _captured(event: Lead.LeadCaptured, rows: ViewRows) -> None:
        rows.put(TABLE, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id,
            "contact_id": event.contact_id, "status": LeadStatus.NEW.value,
            "version": event.originator_version, "source": event.source,
            "campaign": event.campaign, "channel": event.channel, "notes": event.notes,
            "score": None, "score_reasons": [], "assigned_to": None, "case_id": None,
            "follow_ups": [], "next_follow_up_at": None, "lost_reason": None,
            "status_before_close": None, "created_at": event.timestamp,
            "updated_at": event.timestamp, "last_activity_at": event.timestamp})

    @staticmethod
    def _update(change: Any) -> Any:
        def handler(event: Any, rows: ViewRows) -> None:
            key = (event.tenant_id, event.originator_id)
            row = rows.get(TABLE, key)
            if row is None:  # purged by an erasure: nothing to maintain
                return
            updated: Row = {**row, **change(event, row), "version": event.originator_version,
                            "updated_at": event.timestamp}
            rows.put(TABLE, key, updated)

        return handler

    @staticmethod
    def _contacted(event: Lead.LeadContacted, row: Row) -> Row:
        status = LeadStatus.CONTACTED.value if row["status"] == "new" else row["status"]
        return {"status": status, "last_activity_at": event.timestamp}

    @staticmethod
    def _follow_up_scheduled(event: Lead.FollowUpScheduled, row: Row) -> Row:
        follow_ups = [*row["follow_ups"], {"id": str(event.follow_up_id),
                                           "due_at": event.due_at.isoformat(),
                                           "automatic": event.automatic, "completed_at": None}]
        return {"follow_ups": follow_ups, "next_follow_up_at": _next_due(follow_ups)}

    @staticmethod
    def _follow_up_completed(event: Lead.FollowUpCompleted, row: Row) -> Row:
        follow_ups = [({**f, "completed_at": event.timestamp.isoformat()}
                       if f["id"] == str(event.follow_up_id) else f) for f in row["follow_ups"]]
        return {"follow_ups": follow_ups, "next_follow_up_at": _next_due(follow_ups),
                "last_activity_at": event.timestamp}

    @staticmethod
    def _contact_erased(event: Contact.ContactErased, rows: ViewRows) -> None:
        rows.delete_where(TABLE, event.tenant_id, "contact_id", event.originator_id)


def _next_due(follow_ups: list[dict[str, Any]]) -> datetime | None:
    pending = [datetime.fromisoformat(f["due_at"]) for f in follow_ups
               if f["completed_at"] is None]
    return min(pending) if pending else None
