"""Outbound webhooks (ADR 0068): the delivery queue, owned by the enqueuer and the dispatcher.

- ``webhook_endpoints``: each subscription as the enqueuer met it in the log (URL, event types,
  active, the position from which events are its), applied only over an older version.
- ``webhook_deliveries``: one row per (subscription, event position): status (pending,
  delivered, failed, cancelled), attempts, the stored retry schedule (``next_attempt_at``),
  the last answer. No payload and no personal data: the body is rendered from the log at each
  attempt (an erased person reads ``[erased]``), the secret is read from the subscription's
  sealed event. The worker writes them across tenants; the API reads its tenant's.

Revision ID: 0010
Revises: 0009
"""

from adapters.postgres.migrations import raw_connection
from adapters.postgres.rls import tenant_table_ddl

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw = raw_connection()
    # Like the events they come from, these rows name their tenant without a foreign key: a
    # log reader must never stall on an event whose tenant row it cannot see.
    raw.execute("""
    CREATE TABLE webhook_endpoints (
        tenant_id uuid NOT NULL,
        subscription_id uuid NOT NULL,
        url text NOT NULL,
        event_types text[] NOT NULL,
        active boolean NOT NULL,
        since_tx xid8 NOT NULL,
        since_id bigint NOT NULL,
        version bigint NOT NULL,
        PRIMARY KEY (tenant_id, subscription_id)
    )""")
    for statement in tenant_table_ddl("webhook_endpoints", app_privileges="SELECT",
                                      worker_privileges="SELECT, INSERT, UPDATE, DELETE"):
        raw.execute(statement)
    raw.execute("""
    CREATE TABLE webhook_deliveries (
        tenant_id uuid NOT NULL,
        subscription_id uuid NOT NULL,
        event_tx xid8 NOT NULL,
        event_id bigint NOT NULL,
        aggregate_id uuid NOT NULL,
        aggregate_version bigint NOT NULL,
        event_type text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
        attempts integer NOT NULL DEFAULT 0,
        enqueued_at timestamptz NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        first_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        finished_at timestamptz,
        PRIMARY KEY (tenant_id, subscription_id, event_tx, event_id)
    )""")
    # What is due, and the line each delivery waits in (its subscription and aggregate).
    raw.execute("CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries "
                "(next_attempt_at) WHERE status = 'pending'")
    raw.execute("CREATE INDEX webhook_deliveries_line_idx ON webhook_deliveries "
                "(subscription_id, aggregate_id, event_tx, event_id) WHERE status = 'pending'")
    raw.execute("CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries "
                "(finished_at) WHERE status <> 'pending'")
    for statement in tenant_table_ddl("webhook_deliveries", app_privileges="SELECT",
                                      worker_privileges="SELECT, INSERT, UPDATE, DELETE"):
        raw.execute(statement)


def downgrade() -> None:
    raw = raw_connection()
    raw.execute("DROP TABLE webhook_deliveries")
    raw.execute("DROP TABLE webhook_endpoints")
