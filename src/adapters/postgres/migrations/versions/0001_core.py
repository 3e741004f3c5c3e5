"""Core schema: roles, tenants, users, the event store, claims, data keys, idempotency, tracking.

Read-model tables are not here: each projection owns its tables and creates or rebuilds them
(adapters.projections.tables), so a new projection version needs no migration.

Revision ID: 0001
"""

from psycopg import sql

from adapters.postgres.database import APP_ROLE, WORKER_ROLE
from adapters.postgres.migrations import raw_connection
from adapters.postgres.rls import TENANT_EXPR, tenant_table_ddl

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _run(statement: sql.Composable | str) -> None:
    raw_connection().execute(statement)


def upgrade() -> None:
    for role in (APP_ROLE, WORKER_ROLE):
        _run(sql.SQL(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {lit}) THEN "
            "CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; "
            "END IF; END $$").format(lit=sql.Literal(role), role=sql.Identifier(role)))
        _run(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(raw_connection().info.dbname),
            sql.Identifier(role)))
        _run(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(role)))
    # The owner steps into the worker role to finish a rebuild inside its swap transaction.
    _run(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(WORKER_ROLE)))

    _run("""
    CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        slug text NOT NULL UNIQUE,
        name text NOT NULL,
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
    )""")
    _run("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    _run("ALTER TABLE tenants FORCE ROW LEVEL SECURITY")
    _run(f"CREATE POLICY tenant_self ON tenants USING (id = {TENANT_EXPR}) "
         f"WITH CHECK (id = {TENANT_EXPR})")
    _run(sql.SQL("CREATE POLICY projection_worker ON tenants FOR SELECT TO {} USING (true)"
                 ).format(sql.Identifier(WORKER_ROLE)))
    _run("CREATE POLICY owner_lookup ON tenants TO CURRENT_USER USING (true) WITH CHECK (true)")
    _run(sql.SQL("GRANT SELECT, INSERT, UPDATE ON tenants TO {}").format(sql.Identifier(APP_ROLE)))
    _run(sql.SQL("GRANT SELECT ON tenants TO {}").format(sql.Identifier(WORKER_ROLE)))
    # Login and webhooks know a tenant by its slug before any tenant is set: one narrow,
    # owner-run lookup instead of a policy that would let every session list tenants.
    _run("""
    CREATE FUNCTION frontdesk_tenant_by_slug(p_slug text)
    RETURNS TABLE (id uuid, name text, settings jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT t.id, t.name, t.settings FROM tenants t WHERE t.slug = p_slug $$""")
    _run("REVOKE ALL ON FUNCTION frontdesk_tenant_by_slug(text) FROM PUBLIC")
    _run(sql.SQL("GRANT EXECUTE ON FUNCTION frontdesk_tenant_by_slug(text) TO {}, {}").format(
        sql.Identifier(APP_ROLE), sql.Identifier(WORKER_ROLE)))

    _run("""
    CREATE TABLE users (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        email text NOT NULL,
        password_hash text NOT NULL,
        roles text[] NOT NULL,
        display_name text,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, email)
    )""")
    for statement in tenant_table_ddl("users", app_privileges="SELECT, INSERT, UPDATE"):
        _run(statement)

    # The event store: the eventsourcing library's columns plus tenant, transaction id (the
    # no-skip read order), data subject (whose key encrypts the personal fields) and event time.
    _run("""
    CREATE TABLE events (
        notification_id bigserial NOT NULL,
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        tenant_id uuid NOT NULL,
        originator_id uuid NOT NULL,
        originator_version bigint NOT NULL,
        topic text NOT NULL,
        state bytea NOT NULL,
        subject_id uuid,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (originator_id, originator_version)
    ) WITH (autovacuum_vacuum_threshold = 100000000, autovacuum_vacuum_scale_factor = 0.5,
            autovacuum_analyze_threshold = 1000, autovacuum_analyze_scale_factor = 0.01)""")
    _run("CREATE UNIQUE INDEX events_notification_id_idx ON events (notification_id)")
    _run("CREATE INDEX events_position_idx ON events (tx_id, notification_id)")
    _run("CREATE INDEX events_tenant_idx ON events (tenant_id, notification_id)")
    _run("CREATE INDEX events_subject_idx ON events (tenant_id, subject_id) "
         "WHERE subject_id IS NOT NULL")
    for statement in tenant_table_ddl("events", app_privileges="SELECT, INSERT",
                                      worker_privileges="SELECT"):
        _run(statement)
    _run(sql.SQL("GRANT USAGE ON SEQUENCE events_notification_id_seq TO {}").format(
        sql.Identifier(APP_ROLE)))

    _run("""
    CREATE TABLE claims (
        tenant_id uuid NOT NULL,
        scope text NOT NULL,
        key_hash bytea NOT NULL,
        owner_id uuid NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, scope, key_hash)
    )""")
    _run("CREATE INDEX claims_owner_idx ON claims (tenant_id, owner_id)")
    for statement in tenant_table_ddl("claims", app_privileges="SELECT, INSERT, DELETE"):
        _run(statement)

    _run("""
    CREATE TABLE data_keys (
        tenant_id uuid NOT NULL,
        subject_id uuid NOT NULL,
        kek_id text NOT NULL,
        wrapped_key bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        destroyed_at timestamptz,
        PRIMARY KEY (tenant_id, subject_id)
    )""")
    _run("CREATE UNIQUE INDEX data_keys_subject_idx ON data_keys (subject_id)")
    for statement in tenant_table_ddl("data_keys", app_privileges="SELECT, INSERT, UPDATE",
                                      worker_privileges="SELECT"):
        _run(statement)

    _run("""
    CREATE TABLE idempotency_keys (
        tenant_id uuid NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        status integer NOT NULL,
        body bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        position xid8 NOT NULL DEFAULT pg_current_xact_id(),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, key)
    )""")
    for statement in tenant_table_ddl("idempotency_keys",
                                      app_privileges="SELECT, INSERT, DELETE",
                                      worker_privileges="SELECT, DELETE"):
        _run(statement)

    _run("""
    CREATE TABLE projection_tracking (
        name text PRIMARY KEY,
        version integer NOT NULL,
        last_tx xid8 NOT NULL DEFAULT '0',
        last_id bigint NOT NULL DEFAULT 0,
        horizon xid8 NOT NULL DEFAULT '0',
        events_processed bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
    )""")
    _run(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON projection_tracking TO {}").format(
        sql.Identifier(WORKER_ROLE)))
    _run(sql.SQL("GRANT SELECT ON projection_tracking TO {}").format(sql.Identifier(APP_ROLE)))


def downgrade() -> None:
    for table in ("projection_tracking", "idempotency_keys", "data_keys", "claims", "events",
                  "users"):
        _run(f"DROP TABLE IF EXISTS {table}")
    _run("DROP FUNCTION IF EXISTS frontdesk_tenant_by_slug(text)")
    _run("DROP TABLE IF EXISTS tenants")
