"""Sessions (ADR 0079): logout and refresh tokens.

- ``revoked_tokens``: access tokens revoked by their id (``jti``) before they expire (a logout,
  a refresh family ended); a row is needed only until the token's ``expires_at``.
  ``frontdesk_token_revoked(tenant, jti)`` answers on every request, before any tenant is set,
  like ``frontdesk_token_cutoff``.
- ``refresh_tokens``: refresh tokens, stored as SHA-256 of the token (never the token), in a
  family per login; each records the access token issued with it, so ending the family also
  revokes those access tokens.

Revision ID: 0013
Revises: 0011
"""

from psycopg import sql

from adapters.postgres.database import APP_ROLE
from adapters.postgres.migrations import raw_connection
from adapters.postgres.rls import tenant_table_ddl

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw = raw_connection()
    raw.execute("""
    CREATE TABLE revoked_tokens (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        token_id text NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, token_id)
    )""")
    for statement in tenant_table_ddl("revoked_tokens", app_privileges="SELECT, INSERT, DELETE"):
        raw.execute(statement)
    raw.execute("CREATE POLICY owner_lookup ON revoked_tokens FOR SELECT TO CURRENT_USER "
                "USING (true)")
    raw.execute("""
    CREATE FUNCTION frontdesk_token_revoked(p_tenant uuid, p_token text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT EXISTS (SELECT 1 FROM revoked_tokens
                         WHERE tenant_id = p_tenant AND token_id = p_token) $$""")
    raw.execute("REVOKE ALL ON FUNCTION frontdesk_token_revoked(uuid, text) FROM PUBLIC")
    raw.execute(sql.SQL("GRANT EXECUTE ON FUNCTION frontdesk_token_revoked(uuid, text) TO {}")
                .format(sql.Identifier(APP_ROLE)))

    raw.execute("""
    CREATE TABLE refresh_tokens (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        family_id uuid NOT NULL,
        user_id uuid NOT NULL,
        token_hash bytea NOT NULL,
        family_started_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        spent_at timestamptz,
        revoked_at timestamptz,
        access_token_id text NOT NULL,
        access_expires_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, token_hash)
    )""")
    raw.execute("CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (tenant_id, family_id)")
    raw.execute("CREATE INDEX refresh_tokens_access_idx "
                "ON refresh_tokens (tenant_id, access_token_id)")
    for statement in tenant_table_ddl("refresh_tokens", app_privileges="SELECT, INSERT, UPDATE"):
        raw.execute(statement)


def downgrade() -> None:
    raw = raw_connection()
    raw.execute("DROP TABLE refresh_tokens")
    raw.execute("DROP FUNCTION frontdesk_token_revoked(uuid, text)")
    raw.execute("DROP TABLE revoked_tokens")
