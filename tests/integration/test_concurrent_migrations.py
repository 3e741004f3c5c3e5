"""Databases of one cluster migrated at the same moment (several services, or test processes,
on one PostgreSQL): the service roles belong to the cluster, so creating them and setting their
passwords meet the other migration's; each migration still completes (it is one transaction,
run again), and each database is at the head with roles that log in."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from adapters.postgres.database import DatabaseRoles
from adapters.postgres.migrate import require_current_schema
from entrypoints.settings import DEV_DB_PASSWORD
from tests.conftest import ROOT
from tests.processes import FRONTDESK, private_postgres

DATABASES = 4


def test_databases_of_one_cluster_migrated_at_once_all_reach_the_head(tmp_path: Path) -> None:
    with private_postgres(tmp_path / "pg") as server:  # no service role exists yet
        with psycopg.connect(server, autocommit=True) as conn:
            for n in range(DATABASES):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(f"shop{n}")))
        roles = [DatabaseRoles.from_owner(make_conninfo(server, dbname=f"shop{n}"),
                                          DEV_DB_PASSWORD, DEV_DB_PASSWORD)
                 for n in range(DATABASES)]
        migrations = [subprocess.Popen(  # `frontdesk migrate`, the release step, at once
            [FRONTDESK, "migrate"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, "DATABASE_URL": these.owner_url,
                 "FRONTDESK_LOG_LEVEL": "WARNING"}) for these in roles]
        outputs = [(m.wait(timeout=300), m.communicate()[0].decode()) for m in migrations]
        assert [code for code, _ in outputs] == [0] * DATABASES, outputs
        for these in roles:
            require_current_schema(DatabaseRoles(these.app_url, these.worker_url))
            with psycopg.connect(these.app_url) as app:
                assert app.execute("SELECT current_user").fetchone() == ("frontdesk_app",)
