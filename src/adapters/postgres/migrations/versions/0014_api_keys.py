"""API keys that expire and record their last use (ADR 0080).

- ``api_keys.expires_at`` (null: never) and ``api_keys.last_used_at`` (written at most once a
  minute per key). ``frontdesk_api_key(prefix)`` now also answers both; it is dropped and
  created again because its result type changes.
- ``frontdesk_api_key_used(prefix)``: the owner-run write of ``last_used_at``, before any
  tenant is known (the request's key names it), which writes nothing when the stored time is
  less than a minute old.

Revision ID: 0014
Revises: 0013
"""

from typing import Any

from psycopg import sql

from adapters.postgres.database import APP_ROLE
from adapters.postgres.migrations import raw_connection

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_LOOKUP = """
    CREATE FUNCTION frontdesk_api_key(p_prefix text)
    RETURNS TABLE (tenant_id uuid, id uuid, secret_hash bytea, roles text[],
                   revoked_at timestamptz{extra})
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT k.tenant_id, k.id, k.secret_hash, k.roles, k.revoked_at{columns}
          FROM api_keys k WHERE k.prefix = p_prefix $$"""


def _grant(raw: Any, signature: str) -> None:
    raw.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    raw.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(
        sql.SQL(signature), sql.Identifier(APP_ROLE)))


def upgrade() -> None:
    raw = raw_connection()
    raw.execute("ALTER TABLE api_keys ADD COLUMN expires_at timestamptz, "
                "ADD COLUMN last_used_at timestamptz")
    raw.execute("DROP FUNCTION frontdesk_api_key(text)")
    raw.execute(_LOOKUP.format(extra=", expires_at timestamptz, last_used_at timestamptz",
                               columns=", k.expires_at, k.last_used_at"))
    _grant(raw, "frontdesk_api_key(text)")
    raw.execute("""
    CREATE FUNCTION frontdesk_api_key_used(p_prefix text) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ UPDATE api_keys SET last_used_at = now()
          WHERE prefix = p_prefix
            AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') $$""")
    _grant(raw, "frontdesk_api_key_used(text)")


def downgrade() -> None:
    raw = raw_connection()
    raw.execute("DROP FUNCTION frontdesk_api_key_used(text)")
    raw.execute("DROP FUNCTION frontdesk_api_key(text)")
    raw.execute(_LOOKUP.format(extra="", columns=""))
    _grant(raw, "frontdesk_api_key(text)")
    raw.execute("ALTER TABLE api_keys DROP COLUMN expires_at, DROP COLUMN last_used_at")
