"""ConversationQueries over the conversations, conversation_messages and ai_usage read models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.knowledge.sql import DOCUMENTS, PASSAGES
from adapters.postgres.database import DictPool
from adapters.projections.as_of import compute_as_of
from adapters.readmodels.engine import ReadModelReader, newest_first, page_of
from application.conversations.views import (
    AiUsageRow,
    ConversationFilters,
    ConversationView,
    MessageView,
)
from application.ports import Page
from application.projections.ai_usage import TABLE as AI_USAGE
from application.projections.ai_usage import AiUsageProjection

_FILTERS = ("status", "channel", "contact_id", "agent_id")


def conversation_view(row: Any, messages: list[MessageView] | None = None) -> ConversationView:
    return ConversationView(
        id=row["id"], contact_id=row["contact_id"], channel=row["channel"],
        status=row["status"], version=row["version"], subject=row["subject"],
        agent_id=row["agent_id"], handoff_reason=row["handoff_reason"],
        disposition=row["disposition"], csat=row["csat"], nps=row["nps"],
        ai_turns=row["ai_turns"], message_count=row["message_count"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        last_message_at=row["last_message_at"], messages=messages or [])


def message_view(row: Any) -> MessageView:
    return MessageView(id=row["id"], sequence=row["sequence"], direction=row["direction"] or "",
                       author=row["author"] or "", body=row["body"] or "", at=row["at"],
                       external_id=row["external_id"], delivery=row["delivery"] or "",
                       ai=row["ai"])


class SqlConversationQueries:
    def __init__(self, reader: ReadModelReader, app_pool: DictPool,
                 mapper: PersonalDataMapper) -> None:
        """``app_pool`` and ``mapper``: the API's own; AI usage as of a moment reads the
        tenant's events as that tenant under row-level security (ADR 0072, 0091)."""
        self._reader, self._pool, self._mapper = reader, app_pool, mapper

    def get(self, tenant_id: UUID, conversation_id: UUID) -> ConversationView | None:
        params = {"tenant": tenant_id, "id": conversation_id}
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT c.*, (SELECT coalesce(jsonb_agg(to_jsonb(m) ORDER BY m.sequence), '[]') "
            "FROM conversation_messages m WHERE m.tenant_id = c.tenant_id "
            "AND m.conversation_id = c.id AND m.direction IS NOT NULL) AS messages "
            "FROM conversations c WHERE c.tenant_id = %(tenant)s AND c.id = %(id)s"), params)
        if not rows:
            return None
        messages = [message_view(_revive(m)) for m in rows[0]["messages"]]
        return conversation_view(rows[0], messages)

    def page(self, tenant_id: UUID, filters: ConversationFilters, *, limit: int,
             cursor: str | None) -> Page[ConversationView]:
        where, params = newest_first("c", tenant_id, filters, _FILTERS, limit=limit,
                                     cursor=cursor)
        query = sql.SQL("SELECT c.* FROM conversations c WHERE {} ORDER BY c.created_at DESC, "
                        "c.id DESC LIMIT %(limit)s").format(where)
        return page_of(self._reader.fetch(tenant_id, query, params), limit, conversation_view)

    def ai_usage(self, tenant_id: UUID, *, since: str | None, until: str | None,
                 as_of: datetime | None = None) -> list[AiUsageRow]:
        if as_of is not None:
            replayed = compute_as_of(AiUsageProjection(), as_of, self._pool, self._mapper,
                                     tenant_id=tenant_id, as_tenant=True).rows(AI_USAGE)
            first = date.fromisoformat(since) if since else date.min
            last = date.fromisoformat(until) if until else date.max
            return [_usage(r) for r in sorted(replayed, key=lambda r: (r["day"], r["provider"]))
                    if first <= r["day"] <= last]
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT * FROM ai_usage WHERE tenant_id = %(tenant)s "
            "AND (%(since)s::date IS NULL OR day >= %(since)s::date) "
            "AND (%(until)s::date IS NULL OR day <= %(until)s::date) ORDER BY day, provider"),
            {"tenant": tenant_id, "since": since, "until": until})
        return [_usage(r) for r in rows]

    def documents(self, tenant_id: UUID, *, limit: int) -> list[dict[str, Any]]:
        return self._reader.fetch(tenant_id, sql.SQL(DOCUMENTS),
                                  {"tenant": tenant_id, "limit": limit})

    def passages(self, tenant_id: UUID, document_id: UUID) -> list[dict[str, Any]]:
        return self._reader.fetch(tenant_id, sql.SQL(PASSAGES),
                                  {"tenant": tenant_id, "document": document_id})


def _usage(r: Any) -> AiUsageRow:
    """One provider's day, live (a read-model row) or as of a moment (a replayed one)."""
    return AiUsageRow(day=r["day"].isoformat(), provider=r["provider"], replies=r["replies"],
                      tokens_in=r["tokens_in"], tokens_out=r["tokens_out"],
                      cost_micros=r["cost_micros"],
                      average_latency_ms=r["latency_ms_total"] // max(r["replies"], 1))


def _revive(row: dict[str, Any]) -> dict[str, Any]:
    """A message row that travelled as JSON: ids and times back to their types."""
    return {**row, "id": UUID(row["id"]),
            "at": datetime.fromisoformat(row["at"]) if row.get("at") else None}
