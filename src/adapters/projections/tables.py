"""Read-model tables, one set per projection. Created and rebuilt by the projection manager
(not by migrations), so a new projection version brings its own table shape."""

from __future__ import annotations

from sqlalchemy import (
    TIMESTAMP,
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()


def _ts(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, TIMESTAMP(timezone=True), nullable=nullable)


contacts = Table(
    "contacts", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text), Column("email", Text), Column("phone", Text),
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
    Column("channel", Text, nullable=False), Column("notes", Text),
    Column("score", Integer), Column("score_reasons", JSONB, nullable=False),
    Column("assigned_to", UUID(as_uuid=True)), Column("case_id", UUID(as_uuid=True)),
    Column("follow_ups", JSONB, nullable=False), _ts("next_follow_up_at", nullable=True),
    Column("lost_reason", Text), Column("status_before_close", Text),
    _ts("created_at"), _ts("updated_at"), _ts("last_activity_at"),
    Index("lead_pipeline_order_idx", "tenant_id", text("created_at DESC"), text("id DESC")),
    Index("lead_pipeline_status_idx", "tenant_id", "status", text("created_at DESC"),
          text("id DESC")),
    Index("lead_pipeline_contact_idx", "tenant_id", "contact_id"),
    Index("lead_pipeline_stale_idx", "tenant_id", "last_activity_at",
          postgresql_where=text("status IN ('new', 'contacted', 'qualified') "
                                "AND next_follow_up_at IS NULL")),
)

TABLES: dict[str, Table] = {table.name: table for table in (contacts, lead_pipeline)}

# Contact center (issue 5): its projections' tables live in their own module.
from adapters.projections.contact_center_tables import CONTACT_CENTER_TABLES  # noqa: E402

TABLES.update(CONTACT_CENTER_TABLES)
