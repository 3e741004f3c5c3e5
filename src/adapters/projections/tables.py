"""Read-model tables, one set per projection. Created and rebuilt by the projection manager
(not by migrations), so a new projection version brings its own table shape."""

from __future__ import annotations

from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    Column,
    Computed,
    Date,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID

EMBEDDING_DIMENSIONS = 384
"""Every embedder is configured to produce this many dimensions (OpenAI's text-embedding-3
models shorten on request; MiniLM sentence-transformers models are 384 natively)."""

metadata = MetaData()


def _ts(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, TIMESTAMP(timezone=True), nullable=nullable)


def _personal(name: str, kind: Any = Text, nullable: bool = True) -> Column[object]:
    """A column holding a contact's personal data: purged on erasure, and never sampled into
    planner statistics (``pg_statistic`` would keep copies an erasure cannot reach)."""
    return Column(name, kind, nullable=nullable, info={"personal": True})


contacts = Table(
    "contacts", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    _personal("name"), _personal("email"), _personal("phone"),
    Column("consents", JSONB, nullable=False),
    Column("version", Integer, nullable=False),
    _ts("created_at"), _ts("updated_at"),
    Index("contacts_email_idx", "tenant_id", "email"),
    Index("contacts_phone_idx", "tenant_id", "phone"),
    Index("contacts_order_idx", "tenant_id", text("created_at DESC"), text("id DESC")),
)

lead_pipeline = Table(
    "lead_pipeline", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("contact_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("source", Text, nullable=False), Column("campaign", Text),
    Column("channel", Text, nullable=False), _personal("notes"),
    Column("score", Integer), _personal("score_reasons", JSONB, nullable=False),
    Column("assigned_to", UUID(as_uuid=True)), Column("case_id", UUID(as_uuid=True)),
    Column("follow_ups", JSONB, nullable=False), _ts("next_follow_up_at", nullable=True),
    _personal("lost_reason"), Column("status_before_close", Text),
    _ts("created_at"), _ts("updated_at"), _ts("last_activity_at"),
    Index("lead_pipeline_order_idx", "tenant_id", text("created_at DESC"), text("id DESC")),
    Index("lead_pipeline_status_idx", "tenant_id", "status", text("created_at DESC"),
          text("id DESC")),
    Index("lead_pipeline_contact_idx", "tenant_id", "contact_id"),
    Index("lead_pipeline_stale_idx", "tenant_id", "last_activity_at",
          postgresql_where=text("status IN ('new', 'contacted', 'qualified') "
                                "AND next_follow_up_at IS NULL")),
)

memories = Table(
    "memories", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("contact_id", UUID(as_uuid=True)),
    Column("kind", Text, nullable=False),
    _personal("text", nullable=False),
    Column("source_aggregate_id", UUID(as_uuid=True), nullable=False),
    Column("source_version", Integer, nullable=False),
    Column("part", Integer, nullable=False),  # a knowledge passage's 1-based sequence; else 0
    Column("model", Text, nullable=False),
    Column("embedding", Vector(EMBEDDING_DIMENSIONS), nullable=False),
    _ts("occurred_at"),
    Index("memories_contact_idx", "tenant_id", "contact_id", "model"),
    Index("memories_tenant_idx", "tenant_id", "model", "kind"),
    Index("memories_embedding_idx", "embedding", postgresql_using="hnsw",
          postgresql_with={"m": 16, "ef_construction": 128},
          postgresql_ops={"embedding": "vector_cosine_ops"}),
)

memory_subjects = Table(  # whose each lead or conversation is
    "memory_subjects", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("aggregate_id", UUID(as_uuid=True), primary_key=True),
    Column("contact_id", UUID(as_uuid=True), nullable=False),
    Index("memory_subjects_contact_idx", "tenant_id", "contact_id"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    _ts("occurred_at"),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("resource_type", Text, nullable=False),
    Column("resource_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Index("audit_log_time_idx", "tenant_id", "occurred_at", "id"),
    Index("audit_log_resource_idx", "tenant_id", "resource_id"),
    Index("audit_log_actor_idx", "tenant_id", "actor", "occurred_at"),
)

# -- conversations (issue 4) ------------------------------------------------------------------

conversations = Table(
    "conversations", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("contact_id", UUID(as_uuid=True), nullable=False),
    Column("channel", Text, nullable=False), Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    _personal("subject"), _personal("customer_address"), Column("our_address", Text),
    Column("agent_id", UUID(as_uuid=True)), Column("handoff_reason", Text),
    Column("disposition", Text), Column("csat", Integer), Column("nps", Integer),
    Column("ai_turns", Integer, nullable=False), Column("message_count", Integer, nullable=False),
    Column("withheld_drafts", Integer, nullable=False),
    _personal("calls", JSONB, nullable=False),
    _ts("created_at"), _ts("updated_at"), _ts("last_message_at", nullable=True),
    _ts("resolved_at", nullable=True),
    Index("conversations_order_idx", "tenant_id", text("created_at DESC"), text("id DESC")),
    Index("conversations_status_idx", "tenant_id", "status", text("created_at DESC"),
          text("id DESC")),
    Index("conversations_contact_idx", "tenant_id", "contact_id"),
)

conversation_messages = Table(
    "conversation_messages", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("conversation_id", UUID(as_uuid=True), nullable=False),
    Column("contact_id", UUID(as_uuid=True), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("direction", Text), Column("author", Text), Column("author_id", Text),
    _personal("body"), _ts("at", nullable=True), Column("external_id", Text),
    Column("delivery", Text), Column("attempts", Integer, nullable=False),
    Column("error", Text), _personal("media_urls", JSONB), Column("ai", JSONB),
    Index("conversation_messages_order_idx", "tenant_id", "conversation_id", "sequence"),
    Index("conversation_messages_contact_idx", "tenant_id", "contact_id"),
)

KNOWLEDGE_TSVECTOR = "to_tsvector('english', title || ' ' || text)"

knowledge_passages = Table(
    "knowledge_passages", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("document_id", UUID(as_uuid=True), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("title", Text, nullable=False), Column("source", Text),
    Column("text", Text, nullable=False), _ts("created_at"),
    # Lexical retrieval (issue 6 brings the memory index): English full-text search over the
    # title and the passage, stored (ranking reads it) and indexed.
    Column("search", TSVECTOR, Computed(KNOWLEDGE_TSVECTOR, persisted=True)),
    Index("knowledge_passages_fts_idx", "search", postgresql_using="gin"),
)

ai_usage = Table(
    "ai_usage", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("provider", Text, primary_key=True),
    Column("replies", Integer, nullable=False), Column("withheld", Integer, nullable=False),
    Column("tokens_in", BigInteger, nullable=False),
    Column("tokens_out", BigInteger, nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("latency_ms_total", BigInteger, nullable=False),
    _ts("updated_at"),
)

# -- cases and LTV (issue 3) ------------------------------------------------------------------

def _money(name: str) -> Column[object]:
    return Column(name, BigInteger, nullable=False)


cases = Table(
    "cases", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("contact_id", UUID(as_uuid=True), nullable=False),
    Column("lead_id", UUID(as_uuid=True)),
    Column("kind", Text, nullable=False), _personal("title", nullable=False),
    Column("status", Text, nullable=False), Column("version", Integer, nullable=False),
    Column("currency", Text), Column("source", Text), Column("campaign", Text),
    Column("quote", JSONB), Column("invoices", JSONB, nullable=False),
    _personal("payments", JSONB, nullable=False),  # refund reasons
    _money("quoted"), _money("invoiced"), _money("paid"), _money("refunded"),
    _money("disputed"), _personal("closing_note"),
    _ts("created_at"), _ts("updated_at"),
    Index("cases_order_idx", "tenant_id", text("created_at DESC"), text("id DESC")),
    Index("cases_status_idx", "tenant_id", "status", text("created_at DESC"), text("id DESC")),
    Index("cases_contact_idx", "tenant_id", "contact_id"),
    Index("cases_lead_idx", "tenant_id", "lead_id"),
)

ltv_cases = Table(
    "ltv_cases", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("contact_id", UUID(as_uuid=True), nullable=False),
    Column("source", Text), Column("campaign", Text),
)

ltv_contacts = Table(
    "ltv_contacts", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("contact_id", UUID(as_uuid=True), primary_key=True),
    Column("currency", Text, primary_key=True),
    _money("paid"), _money("refunded"), _money("disputed"), _money("net"),
    Column("payments", Integer, nullable=False), Column("cases", Integer, nullable=False),
    _ts("first_payment_at"), _ts("last_payment_at"), Column("cohort", Text, nullable=False),
    Column("by_case", JSONB, nullable=False),
    Index("ltv_contacts_rank_idx", "tenant_id", text("net DESC"), "contact_id", "currency"),
)

TABLES: dict[str, Table] = {table.name: table for table in (
    contacts, lead_pipeline, memories, memory_subjects, audit_log, conversations,
    conversation_messages, knowledge_passages, ai_usage, cases, ltv_cases, ltv_contacts)}

# Contact center (issue 5): its projections' tables live in their own module.
from adapters.projections.contact_center_tables import CONTACT_CENTER_TABLES  # noqa: E402

TABLES.update(CONTACT_CENTER_TABLES)

# Outbound webhooks (issue 17): the subscriptions' read model.
from adapters.projections.webhook_tables import WEBHOOK_TABLES  # noqa: E402

TABLES.update(WEBHOOK_TABLES)
