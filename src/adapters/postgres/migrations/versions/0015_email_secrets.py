"""Per-tenant secrets of the inbound-email webhook (security gap 4, ADR 0082).

``inbound_email_secrets``: at most one row per tenant, the secret's 32 random bytes wrapped
(RFC 3394) by a key-encryption key like a data key (``kek_id`` names it), when and by whom it
was last rotated. The API reads and replaces its tenant's row; the worker role re-wraps rows
under the active KEK (``frontdesk keys rotate``). A tenant without a row falls back to
``FRONTDESK_EMAIL_WEBHOOK_SECRET``.

Revision ID: 0015
Revises: 0014
"""

from adapters.postgres.migrations import raw_connection
from adapters.postgres.rls import tenant_table_ddl

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw = raw_connection()
    raw.execute("""
    CREATE TABLE inbound_email_secrets (
        tenant_id uuid PRIMARY KEY,
        kek_id text NOT NULL,
        wrapped_secret bytea NOT NULL,
        rotated_at timestamptz NOT NULL,
        rotated_by text NOT NULL
    )""")
    for statement in tenant_table_ddl("inbound_email_secrets",
                                      app_privileges="SELECT, INSERT, UPDATE",
                                      worker_privileges="SELECT, UPDATE"):
        raw.execute(statement)


def downgrade() -> None:
    raw_connection().execute("DROP TABLE inbound_email_secrets")
