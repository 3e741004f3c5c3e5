"""A second factor at login, TOTP (ADR 0081).

``totp_factors``: at most one row per user, ``pending`` from the start of an enrolment until a
code confirms it, then ``enabled``; the secret (32 base32 characters) wrapped (RFC 3394) by a
key-encryption key like a data key (``kek_id`` names it); ``last_step``, the time step of the
last code accepted (a code of that step or an earlier one is refused: no replay). The API reads
and writes its tenant's rows; the worker role re-wraps them under the active KEK (``frontdesk
keys rotate``). The tenant's ``admins_require_totp`` lives in ``tenants.settings``.

Revision ID: 0017
Revises: 0016
"""

from adapters.postgres.migrations import raw_connection
from adapters.postgres.rls import tenant_table_ddl

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw = raw_connection()
    raw.execute("""
    CREATE TABLE totp_factors (
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'enabled')),
        kek_id text NOT NULL,
        wrapped_secret bytea NOT NULL,
        last_step bigint,
        created_at timestamptz NOT NULL,
        enabled_at timestamptz,
        PRIMARY KEY (tenant_id, user_id),
        FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
    )""")
    for statement in tenant_table_ddl("totp_factors",
                                      app_privileges="SELECT, INSERT, UPDATE, DELETE",
                                      worker_privileges="SELECT, UPDATE"):
        raw.execute(statement)


def downgrade() -> None:
    raw_connection().execute("DROP TABLE totp_factors")
