"""Retention: the worker prunes what Frontdesk keeps only for a while (ADR 0061).

- ``auth_events``: ``frontdesk_worker`` may delete entries older than the retention period
  (it could already read them all, for the audit log). ``idempotency_keys`` and
  ``rate_counters`` it could already delete.

Revision ID: 0009
Revises: 0008
"""

from psycopg import sql

from adapters.postgres.database import WORKER_ROLE
from adapters.postgres.migrations import raw_connection

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw_connection().execute(sql.SQL("GRANT DELETE ON auth_events TO {}").format(
        sql.Identifier(WORKER_ROLE)))


def downgrade() -> None:
    raw_connection().execute(sql.SQL("REVOKE DELETE ON auth_events FROM {}").format(
        sql.Identifier(WORKER_ROLE)))
