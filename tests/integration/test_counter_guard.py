"""A database whose stored positions are ahead of the cluster's transaction counter (a logical
restore into another cluster) is refused at start, before any process could skip events
(security gap 16)."""

from __future__ import annotations

import psycopg
import pytest

from adapters.postgres.migrate import (
    CounterBehindLog,
    check_counter_ahead_of_log,
    migrate,
    require_current_schema,
)
from entrypoints.database import connect_database
from entrypoints.settings import Settings

NAME = "test:restored-from-a-cluster-further-on"


def test_positions_ahead_of_the_transaction_counter_stop_every_process_from_starting(
        owner_url: str, container: object) -> None:
    roles = connect_database(Settings(DATABASE_URL=owner_url))
    check_counter_ahead_of_log(roles.app_url)  # a database as this cluster wrote it passes
    with psycopg.connect(owner_url, autocommit=True) as conn:
        # What a restore from a cluster 10 million transactions further on leaves behind: a
        # tracking position no transaction of this cluster has reached yet.
        conn.execute(
            "INSERT INTO projection_tracking (name, version, last_tx) VALUES (%s, 1, "
            "(pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 10000000)::text::xid8)",
            (NAME,))
    try:
        with pytest.raises(CounterBehindLog, match="behind the positions stored") as refused:
            migrate(roles)  # the release step
        assert "runbook" in str(refused.value)
        with pytest.raises(CounterBehindLog, match="behind the positions stored"):
            # what `serve`, `worker` and the read-only commands check, as the API's role
            require_current_schema(roles.without_owner())
    finally:
        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute("DELETE FROM projection_tracking WHERE name = %s", (NAME,))
    migrate(roles)  # the counter past every position again: it starts
