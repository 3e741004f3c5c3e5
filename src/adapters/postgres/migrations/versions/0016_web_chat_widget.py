"""The web chat widget's keys (ADR 0084).

- ``widget_keys``: a tenant's public widget keys (``fdw_…``, not secret: they name the
  tenant's widget on its website), the origins allowed to embed it and to send its messages,
  creator, revocation. ``frontdesk_widget_key(key)`` finds a key before any tenant is known (the
  key names its tenant), like ``frontdesk_api_key``.

Revision ID: 0016
Revises: 0015
"""

from psycopg import sql

from adapters.postgres.database import APP_ROLE
from adapters.postgres.migrations import raw_connection
from adapters.postgres.rls import tenant_table_ddl

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw = raw_connection()
    raw.execute("""
    CREATE TABLE widget_keys (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        key text NOT NULL UNIQUE,
        name text NOT NULL,
        allowed_origins text[] NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        PRIMARY KEY (tenant_id, id)
    )""")
    for statement in tenant_table_ddl("widget_keys", app_privileges="SELECT, INSERT, UPDATE"):
        raw.execute(statement)
    raw.execute("""
    CREATE FUNCTION frontdesk_widget_key(p_key text)
    RETURNS TABLE (tenant_id uuid, id uuid, allowed_origins text[], revoked_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT k.tenant_id, k.id, k.allowed_origins, k.revoked_at
          FROM widget_keys k WHERE k.key = p_key $$""")
    raw.execute("REVOKE ALL ON FUNCTION frontdesk_widget_key(text) FROM PUBLIC")
    raw.execute(sql.SQL("GRANT EXECUTE ON FUNCTION frontdesk_widget_key(text) TO {}").format(
        sql.Identifier(APP_ROLE)))
    raw.execute("CREATE POLICY owner_lookup ON widget_keys TO CURRENT_USER USING (true)")


def downgrade() -> None:
    raw = raw_connection()
    raw.execute("DROP FUNCTION frontdesk_widget_key(text)")
    raw.execute("DROP TABLE widget_keys")

