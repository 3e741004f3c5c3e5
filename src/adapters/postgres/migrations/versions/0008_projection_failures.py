"""Projection failures: a runner that cannot apply a batch says so in its tracking row.

- ``projection_tracking.failing_since``, ``failures`` and ``last_error``: set by the runner
  when a batch raises (the error's class and the position of the batch, never its message,
  which may quote personal data), cleared by the next batch it commits. ``projections
  status``, ``/health/ready`` and ``/metrics`` read them (ADR 0060).

Revision ID: 0008
Revises: 0007
"""

from adapters.postgres.migrations import raw_connection

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raw_connection().execute(
        "ALTER TABLE projection_tracking ADD COLUMN failing_since timestamptz, "
        "ADD COLUMN failures integer NOT NULL DEFAULT 0, ADD COLUMN last_error text")


def downgrade() -> None:
    raw_connection().execute("ALTER TABLE projection_tracking DROP COLUMN failing_since, "
                             "DROP COLUMN failures, DROP COLUMN last_error")
