"""Access: API keys, authentication events, shared rate-limit counters, token revocation.

- ``users.tokens_valid_after``: tokens issued before it are refused (a disabled user, changed
  roles, a new password), ``users.updated_at``.
- ``api_keys``: integration keys, stored as SHA-256 of a 256-bit secret (never the key), with
  roles, creator, revocation. ``frontdesk_api_key(prefix)`` finds a key before any tenant is
  known (the key names its tenant), like ``frontdesk_tenant_by_slug``.
- ``auth_events``: logins (succeeded, failed, throttled) and changes of users and keys, with the
  IP and user agent; the audit log unions them with the audit projection of all events.
- ``rate_counters``: fixed-window counters shared by every API process (rate limits, login
  throttling); no tenant data, keys are opaque.

Revision ID: 0007
Revises: 0006
"""

from psycopg import sql

from adapters.postgres.database import APP_ROLE, WORKER_ROLE
from adapters.postgres.migrations import raw_connection
from adapters.postgres.rls import tenant_table_ddl

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw = raw_connection()
    raw.execute("ALTER TABLE users ADD COLUMN tokens_valid_after timestamptz NOT NULL "
                "DEFAULT 'epoch', ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()")
    raw.execute("""
    CREATE TABLE api_keys (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        prefix text NOT NULL UNIQUE,
        secret_hash bytea NOT NULL,
        name text NOT NULL,
        roles text[] NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        PRIMARY KEY (tenant_id, id)
    )""")
    for statement in tenant_table_ddl("api_keys", app_privileges="SELECT, INSERT, UPDATE"):
        raw.execute(statement)
    raw.execute("""
    CREATE FUNCTION frontdesk_api_key(p_prefix text)
    RETURNS TABLE (tenant_id uuid, id uuid, secret_hash bytea, roles text[],
                   revoked_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT k.tenant_id, k.id, k.secret_hash, k.roles, k.revoked_at
          FROM api_keys k WHERE k.prefix = p_prefix $$""")
    raw.execute("REVOKE ALL ON FUNCTION frontdesk_api_key(text) FROM PUBLIC")
    raw.execute(sql.SQL("GRANT EXECUTE ON FUNCTION frontdesk_api_key(text) TO {}").format(
        sql.Identifier(APP_ROLE)))
    # The owner may look keys up across tenants (the function above runs as the owner).
    raw.execute("CREATE POLICY owner_lookup ON api_keys TO CURRENT_USER USING (true)")
    # A user's token cut-off, also before any tenant is set (token verification).
    raw.execute("CREATE POLICY owner_lookup ON users TO CURRENT_USER USING (true)")
    raw.execute("""
    CREATE FUNCTION frontdesk_token_cutoff(p_tenant uuid, p_user uuid)
    RETURNS TABLE (tokens_valid_after timestamptz, disabled boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT u.tokens_valid_after, u.disabled FROM users u
          WHERE u.tenant_id = p_tenant AND u.id = p_user $$""")
    raw.execute("REVOKE ALL ON FUNCTION frontdesk_token_cutoff(uuid, uuid) FROM PUBLIC")
    raw.execute(sql.SQL("GRANT EXECUTE ON FUNCTION frontdesk_token_cutoff(uuid, uuid) TO {}")
                .format(sql.Identifier(APP_ROLE)))

    raw.execute("""
    CREATE TABLE auth_events (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        ip text,
        user_agent text,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (tenant_id, id)
    )""")
    raw.execute("CREATE INDEX auth_events_time_idx ON auth_events (tenant_id, occurred_at)")
    for statement in tenant_table_ddl("auth_events", app_privileges="SELECT, INSERT",
                                      worker_privileges="SELECT"):
        raw.execute(statement)

    raw.execute("""
    CREATE UNLOGGED TABLE rate_counters (
        key text NOT NULL,
        window_start bigint NOT NULL,
        hits integer NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (key, window_start)
    ) WITH (fillfactor = 70)""")
    raw.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON rate_counters TO {}, {}")
                .format(sql.Identifier(APP_ROLE), sql.Identifier(WORKER_ROLE)))


def downgrade() -> None:
    raw = raw_connection()
    raw.execute("DROP TABLE rate_counters")
    raw.execute("DROP TABLE auth_events")
    raw.execute("DROP FUNCTION frontdesk_token_cutoff(uuid, uuid)")
    raw.execute("DROP POLICY owner_lookup ON users")
    raw.execute("DROP FUNCTION frontdesk_api_key(text)")
    raw.execute("DROP TABLE api_keys")
    raw.execute("ALTER TABLE users DROP COLUMN tokens_valid_after, DROP COLUMN updated_at")
