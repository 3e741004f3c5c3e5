"""Real `frontdesk` processes for fault tests that kill them: a PostgreSQL of their own (so
killing a process mid-work harms no other test), processes named in pg_stat_activity (their
connections carry the process name as application_name), SIGKILL, and bounded waits."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.conftest import ROOT

FRONTDESK = str(ROOT / ".venv/bin/frontdesk")
T = TypeVar("T")


@contextmanager
def private_postgres(directory: Path) -> Iterator[str]:
    """A second embedded PostgreSQL under ``directory``; yields its owner URL."""
    from adapters.postgres.embedded import start_server

    server = start_server(directory, cleanup_mode="delete")
    try:
        yield server.get_uri("postgres")
    finally:
        server.cleanup()


def frontdesk_env(owner_url: str, **settings: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": owner_url, "FRONTDESK_LOG_LEVEL": "WARNING",
            "FRONTDESK_STALE_POLICY_INTERVAL": "3600", **settings}


class Process:
    """One `frontdesk ...` subprocess; its database connections are named ``name``."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen([FRONTDESK, *args], cwd=ROOT,
                                          env={**env, "PGAPPNAME": name}, stdout=out,
                                          stderr=subprocess.STDOUT)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or released by the process itself."""
        if self.alive:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=20)

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} (exit {self.popen.poll()}) ---\n{text[-3000:]}"


def wait_until(condition: Callable[[], T], timeout: float, what: str,
               processes: Sequence[Process] = (), every: float = 0.05) -> T:
    """Poll ``condition`` until it returns something truthy (returned); fail after ``timeout``
    seconds, or at once if one of ``processes`` died, with their logs."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        dead = [p for p in processes if not p.alive]
        if dead or time.monotonic() > deadline:
            logs = "\n".join(p.tail() for p in processes)
            reason = f"{', '.join(p.name for p in dead)} died" if dead else f"{timeout} s passed"
            pytest.fail(f"not {what}: {reason}\n{logs}")
        time.sleep(every)


def query(owner_url: str, statement: Any, params: Any = ()) -> list[dict[str, Any]]:
    """Rows of one statement as the owner (who sees every tenant's rows); none for DDL."""
    with psycopg.connect(owner_url, autocommit=True, row_factory=dict_row) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description is not None else []
