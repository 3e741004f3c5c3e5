"""Least privilege of processes (ADR 0072): what the API and worker roles need to know about
the whole log, without reading it.

- ``frontdesk_highest_position()``: the highest position stored (the counter guard at every
  start, security gap 16), ``frontdesk_pending_events(...)``: how many events lie past a
  reader's position (projection lag in ``/health/ready`` and ``/metrics``),
  ``frontdesk_tenant_count()``: how many tenants exist (the start-up hint). Each is an
  owner-run function that answers a number and never a row; the owner reads ``events`` for
  them through a ``SELECT`` policy of its own, like the lookups of migration 0001 and 0007.
- both service roles may read ``alembic_version``: a process that does not migrate checks
  that the database is at its schema and refuses to start otherwise.

Before this, the API read those numbers as ``frontdesk_worker`` and held its password.

Revision ID: 0011
Revises: 0010
"""

from psycopg import sql

from adapters.postgres.database import APP_ROLE, WORKER_ROLE
from adapters.postgres.migrations import raw_connection

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FUNCTIONS = {
    "frontdesk_highest_position()": """
    CREATE FUNCTION frontdesk_highest_position() RETURNS xid8
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT greatest((SELECT max(tx_id) FROM events),
                          (SELECT max(last_tx) FROM projection_tracking)) $$""",
    "frontdesk_pending_events(xid8, bigint, text[], bigint)": """
    CREATE FUNCTION frontdesk_pending_events(p_tx xid8, p_id bigint, p_topics text[],
                                             p_cap bigint) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT count(*) FROM (SELECT 1 FROM events
          WHERE (tx_id, notification_id) > (p_tx, p_id)
          AND (p_topics IS NULL OR topic = ANY(p_topics)) LIMIT p_cap) p $$""",
    "frontdesk_tenant_count()": """
    CREATE FUNCTION frontdesk_tenant_count() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT count(*) FROM tenants $$""",
}


def upgrade() -> None:
    raw = raw_connection()
    raw.execute("CREATE POLICY owner_lookup ON events FOR SELECT TO CURRENT_USER USING (true)")
    roles = sql.SQL(", ").join([sql.Identifier(APP_ROLE), sql.Identifier(WORKER_ROLE)])
    for signature, definition in FUNCTIONS.items():
        raw.execute(definition)
        raw.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        raw.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(
            sql.SQL(signature), roles))
    raw.execute(sql.SQL("GRANT SELECT ON alembic_version TO {}").format(roles))


def downgrade() -> None:
    raw = raw_connection()
    roles = sql.SQL(", ").join([sql.Identifier(APP_ROLE), sql.Identifier(WORKER_ROLE)])
    raw.execute(sql.SQL("REVOKE SELECT ON alembic_version FROM {}").format(roles))
    for signature in FUNCTIONS:
        raw.execute(f"DROP FUNCTION {signature}")
    raw.execute("DROP POLICY owner_lookup ON events")
