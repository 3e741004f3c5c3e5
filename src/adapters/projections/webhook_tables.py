"""Read-model table of the webhook_subscriptions projection. Registered in
``adapters.projections.tables.TABLES``. (The delivery queue is write-side: migration 0010.)"""

from __future__ import annotations

from sqlalchemy import TIMESTAMP, Column, Index, Integer, MetaData, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()

webhook_subscriptions = Table(
    "webhook_subscriptions", metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("url", Text, nullable=False),
    Column("event_types", JSONB, nullable=False),
    Column("description", Text),
    Column("status", Text, nullable=False),
    Column("disabled_reason", Text),
    Column("last_replay_after", Text),
    Column("created_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    Index("webhook_subscriptions_order_idx", "tenant_id", text("created_at DESC"),
          text("id DESC")),
)

WEBHOOK_TABLES: dict[str, Table] = {table.name: table for table in metadata.sorted_tables}
