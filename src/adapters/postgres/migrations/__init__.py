"""Alembic migrations (``versions/``), run as the database owner."""

from __future__ import annotations

from typing import Any

from alembic import op


def raw_connection() -> Any:
    """The psycopg connection under Alembic's: the migrations send SQL as written (functions,
    policies, grants), with psycopg's own composition, not through SQLAlchemy."""
    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    return raw
