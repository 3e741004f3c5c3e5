"""Read-model tables of the contact-center projections (supervisor_overview, agent_performance,
contact_center_catalog). Registered in ``adapters.projections.tables.TABLES``."""

from __future__ import annotations

from sqlalchemy import (
    TIMESTAMP,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()


def _id(name: str, primary: bool = False, nullable: bool = True) -> Column[object]:
    return Column(name, UUID(as_uuid=True), primary_key=primary, nullable=nullable and not primary)


def _ts(name: str, nullable: bool = True) -> Column[object]:
    return Column(name, TIMESTAMP(timezone=True), nullable=nullable)


def _personal(name: str) -> Column[object]:
    """Personal data (see ``adapters.projections.tables._personal``)."""
    return Column(name, Text, info={"personal": True})


def _json(name: str) -> Column[object]:
    return Column(name, JSONB, nullable=False)


# -- supervisor_overview ----------------------------------------------------------------------

cc_queues = Table(
    "cc_queues", metadata,
    _id("tenant_id", True), _id("id", True),
    Column("name", Text, nullable=False), Column("description", Text),
    _json("required_skills"), Column("strategy", Text, nullable=False),
    Column("target_answer_seconds", Integer, nullable=False),
    Column("target_percentage", Integer, nullable=False),
    Column("max_hold_seconds", Integer, nullable=False), _id("escalation_queue_id"),
    Column("reservation_timeout_seconds", Integer, nullable=False), _json("default_for"),
    _id("last_agent_id"), _json("breaches"), Column("version", Integer, nullable=False),
    _ts("created_at", False), _ts("updated_at", False),
    Index("cc_queues_order_idx", "tenant_id", text("created_at DESC"), text("id DESC")),
)

cc_agents = Table(
    "cc_agents", metadata,
    _id("tenant_id", True), _id("id", True), _id("user_id"),
    Column("name", Text, nullable=False), _json("skills"), _json("capacity"),
    Column("timezone", Text, nullable=False), _json("shifts"),
    Column("presence", Text, nullable=False), _ts("presence_since", False),
    Column("status", Text, nullable=False), _ts("status_since", False),
    _json("work"), _json("load"), _ts("idle_since", False),
    Column("version", Integer, nullable=False), _ts("created_at", False),
    _ts("updated_at", False),
    Index("cc_agents_order_idx", "tenant_id", text("created_at DESC"), text("id DESC")),
    Index("cc_agents_available_idx", "tenant_id",
          postgresql_where=text("presence = 'available'")),
)

cc_tasks = Table(
    "cc_tasks", metadata,
    _id("tenant_id", True), _id("id", True), _id("queue_id", nullable=False),
    Column("status", Text, nullable=False), Column("channel", Text, nullable=False),
    Column("priority", Integer, nullable=False), _json("own_skills"), _json("required_skills"),
    Column("source_kind", Text, nullable=False), Column("source_ref", Text),
    _id("contact_id"), _id("lead_id"), Column("lead_stage", Text), _personal("title"),
    _ts("not_before"), _ts("queued_at"), _ts("queue_entered_at"), _ts("hold_deadline"),
    Column("target_answer_seconds", Integer, nullable=False),
    Column("max_hold_seconds", Integer, nullable=False), _id("escalation_queue_id"),
    Column("reservation_timeout_seconds", Integer, nullable=False),
    _id("reserved_for"), _id("reservation_id"), _ts("reserved_at"),
    _ts("reservation_expires_at"), _id("agent_id"), _ts("accepted_at"), _ts("wrap_up_at"),
    _ts("ended_at"), _ts("wait_ended_at"), Column("disposition", Text),
    Column("csat", Integer), _id("script_id"), Column("script_revision", Integer),
    Column("breached_here", Boolean, nullable=False),
    Column("breaches", Integer, nullable=False), Column("escalations", Integer, nullable=False),
    _json("declined_by"), Column("version", Integer, nullable=False),
    _ts("created_at", False), _ts("updated_at", False),
    Index("cc_tasks_order_idx", "tenant_id", text("created_at DESC"), text("id DESC")),
    Index("cc_tasks_waiting_idx", "tenant_id", "queue_id", text("priority DESC"), "queued_at",
          "id", postgresql_where=text("status = 'queued'")),
    Index("cc_tasks_open_idx", "tenant_id", "queue_id",
          postgresql_where=text("status IN ('created', 'queued', 'reserved', 'accepted', "
                                "'wrap_up')")),
    Index("cc_tasks_wait_ended_idx", "tenant_id", "wait_ended_at"),
    Index("cc_tasks_queued_idx", "tenant_id", "queued_at"),
    Index("cc_tasks_agent_idx", "tenant_id", "agent_id"),
    Index("cc_tasks_source_idx", "tenant_id", "source_kind", "source_ref"),
    Index("cc_tasks_reserved_for_idx", "tenant_id", "reserved_for"),
    Index("cc_tasks_expiring_idx", "reservation_expires_at",
          postgresql_where=text("status = 'reserved'")),
    Index("cc_tasks_hold_idx", "hold_deadline",
          postgresql_where=text("status = 'queued' AND NOT breached_here")),
    Index("cc_tasks_due_idx", "not_before", postgresql_where=text("status = 'created'")),
)

# -- agent_performance ------------------------------------------------------------------------

ap_tasks = Table(
    "ap_tasks", metadata,
    _id("tenant_id", True), _id("id", True), _id("agent_id"), _id("queue_id", nullable=False),
    _id("contact_id"), Column("source_kind", Text, nullable=False),
    Column("status", Text, nullable=False), _ts("created_at", False), _ts("queued_at"),
    _ts("reserved_at"), _ts("accepted_at"), _ts("wrap_up_at"), _ts("completed_at"),
    _ts("canceled_at"), Column("target_answer_seconds", Integer, nullable=False),
    Column("csat", Integer),
    Index("ap_tasks_completed_idx", "tenant_id", "completed_at"),
    Index("ap_tasks_contact_idx", "tenant_id", "contact_id", "created_at"),
)

ap_agents = Table(
    "ap_agents", metadata,
    _id("tenant_id", True), _id("id", True), Column("presence", Text, nullable=False),
    _ts("presence_since", False), Column("status", Text, nullable=False),
    _ts("status_since", False), _json("work"), _json("load"),
    Column("seq", Integer, nullable=False),
)

ap_status_intervals = Table(
    "ap_status_intervals", metadata,
    _id("tenant_id", True), _id("agent_id", True), Column("seq", Integer, primary_key=True),
    Column("status", Text, nullable=False), _ts("started_at", False), _ts("ended_at", False),
    Index("ap_status_intervals_time_idx", "tenant_id", "ended_at", "started_at"),
)

ap_agent_days = Table(
    "ap_agent_days", metadata,
    _id("tenant_id", True), _id("agent_id", True), Column("day", Date, primary_key=True),
    Column("offered", Integer, nullable=False), Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False), Column("timed_out", Integer, nullable=False),
    Index("ap_agent_days_day_idx", "tenant_id", "day"),
)

ap_conversions = Table(
    "ap_conversions", metadata,
    _id("tenant_id", True), _id("lead_id", True), _id("assigned_to"), _ts("converted_at"),
    _id("credited_to"),
    Index("ap_conversions_time_idx", "tenant_id", "converted_at"),
)

# -- contact_center_catalog -------------------------------------------------------------------

cc_dispositions = Table(
    "cc_dispositions", metadata,
    _id("tenant_id", True), Column("code", Text, primary_key=True),
    Column("label", Text, nullable=False), Column("description", Text),
    _ts("created_at", False),
)

cc_scripts = Table(
    "cc_scripts", metadata,
    _id("tenant_id", True), _id("id", True), Column("target_kind", Text, nullable=False),
    Column("target", Text, nullable=False), Column("title", Text, nullable=False),
    _json("steps"), Column("revision", Integer, nullable=False), _json("revisions"),
    Column("retired", Boolean, nullable=False), Column("version", Integer, nullable=False),
    _ts("created_at", False), _ts("updated_at", False),
    Index("cc_scripts_order_idx", "tenant_id", text("created_at DESC"), text("id DESC")),
)

cc_script_revisions = Table(
    "cc_script_revisions", metadata,
    _id("tenant_id", True), _id("script_id", True), Column("revision", Integer, primary_key=True),
    Column("title", Text, nullable=False), _json("steps"), _ts("created_at", False),
)

CONTACT_CENTER_TABLES: dict[str, Table] = {table.name: table for table in metadata.sorted_tables}
