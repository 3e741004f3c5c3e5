"""The ai_usage read model: tokens, estimated cost and latency per tenant, provider and day
(UTC), from the provenance every AI answer carries (withheld answers cost tokens too, and so
do the drafts the assistant writes for agents). ``replies`` counts every answer generated:
sent, withheld or drafted."""

from __future__ import annotations

from typing import Any

from application.projections.base import Projection, RowKey, ViewRows
from domain.conversations import Conversation

TABLE = "ai_usage"


def _day(event: Any) -> list[tuple[str, RowKey]]:
    return [(TABLE, (event.tenant_id, event.timestamp.date(), event.provider))]


def _withheld(event: Any) -> bool:
    """An answer kept back for not being confident (a draft is never sent, nor withheld)."""
    return isinstance(event, Conversation.AiReplyGenerated) and not event.delivered


class AiUsageProjection(Projection):
    name = "ai_usage"
    version = 1
    tables = (TABLE,)

    def __init__(self) -> None:
        super().__init__()
        self.on(Conversation.AiReplyGenerated, self._generated, _day, uses_personal_data=False)
        self.on(Conversation.AiDraftSuggested, self._generated, _day, uses_personal_data=False)

    @staticmethod
    def _generated(event: Any, rows: ViewRows) -> None:
        key = (event.tenant_id, event.timestamp.date(), event.provider)
        row = rows.get(TABLE, key) or {
            "tenant_id": event.tenant_id, "day": event.timestamp.date(),
            "provider": event.provider, "replies": 0, "withheld": 0, "tokens_in": 0,
            "tokens_out": 0, "cost_micros": 0, "latency_ms_total": 0}
        rows.put(TABLE, key, {
            **row, "replies": row["replies"] + 1,
            "withheld": row["withheld"] + (1 if _withheld(event) else 0),
            "tokens_in": row["tokens_in"] + event.tokens_in,
            "tokens_out": row["tokens_out"] + event.tokens_out,
            "cost_micros": row["cost_micros"] + event.cost_micros,
            "latency_ms_total": row["latency_ms_total"] + event.latency_ms,
            "updated_at": event.timestamp})
