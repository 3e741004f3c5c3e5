"""Retention reports count the message bodies a run deleted (ADR 0086).

- ``retention_reports.bodies_before``: the cutoff of ``delete_message_bodies_months`` (null
  when the policy keeps bodies); ``conversations``: each conversation whose bodies went (ids
  and counts only, no personal data); ``message_bodies_deleted``: their sum.

Revision ID: 0019
Revises: 0018
"""

from adapters.postgres.migrations import raw_connection

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw_connection().execute("""
    ALTER TABLE retention_reports
        ADD COLUMN bodies_before timestamptz,
        ADD COLUMN conversations jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN message_bodies_deleted integer NOT NULL DEFAULT 0""")


def downgrade() -> None:
    raw_connection().execute("""
    ALTER TABLE retention_reports
        DROP COLUMN bodies_before, DROP COLUMN conversations,
        DROP COLUMN message_bodies_deleted""")
