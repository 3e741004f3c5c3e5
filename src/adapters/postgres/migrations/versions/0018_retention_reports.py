"""Per-tenant retention reports (ADR 0086).

- ``retention_reports``: one row per tenant per retention run (the worker's, or
  ``frontdesk retention run``, dry runs too): the policy applied, the inactivity cutoff, and
  each contact found with its last activity and what was done (ids only: no personal data).
  The tenant's admins read them (RLS); the worker writes them. The policy itself lives in
  ``tenants.settings -> 'retention'``.

Revision ID: 0018
Revises: 0017
"""

from adapters.postgres.migrations import raw_connection
from adapters.postgres.rls import tenant_table_ddl

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw = raw_connection()
    raw.execute("""
    CREATE TABLE retention_reports (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        ran_at timestamptz NOT NULL,
        dry_run boolean NOT NULL,
        triggered_by text NOT NULL,
        policy jsonb NOT NULL,
        inactive_before timestamptz,
        contacts jsonb NOT NULL,
        contacts_erased integer NOT NULL,
        failures integer NOT NULL,
        PRIMARY KEY (tenant_id, id)
    )""")
    raw.execute("CREATE INDEX retention_reports_order_idx ON retention_reports "
                "(tenant_id, ran_at DESC, id DESC)")
    for statement in tenant_table_ddl("retention_reports", app_privileges="SELECT, INSERT",
                                      worker_privileges="SELECT, INSERT"):
        raw.execute(statement)


def downgrade() -> None:
    raw_connection().execute("DROP TABLE retention_reports")
