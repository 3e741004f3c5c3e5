"""The embedded PostgreSQL lives as long as a Frontdesk process uses it (ADR 0071): `frontdesk
serve` stopped by Ctrl-C (SIGINT) or by SIGTERM stops the server it started, a second process
keeps it running, and a process that was killed does not keep it running for ever. Each test
runs on a data directory of its own, with no DATABASE_URL, as `make run` does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from tests.processes import FRONTDESK, Process, wait_until
from tests.vendors import free_port

STARTUP = 180  # seconds: a busy machine (two cores, the suite beside it) starts serve slowly


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory of the test's own; a server a failing test left running is stopped."""
    yield tmp_path
    if (tmp_path / "pg" / "postmaster.pid").exists():
        server = postmaster(tmp_path)
        if running(server):
            server.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown


def embedded_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "FRONTDESK_TEST_DB"}}
    return {**env, "FRONTDESK_DATA_DIR": str(data_dir), "FRONTDESK_LOG_LEVEL": "WARNING",
            "FRONTDESK_STALE_POLICY_INTERVAL": "3600", **settings}


def postmaster(data_dir: Path) -> psutil.Process:
    """The server's postmaster, from its ``postmaster.pid``."""
    return psutil.Process(int((data_dir / "pg" / "postmaster.pid").read_text().split()[0]))


def running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def users(data_dir: Path) -> list[int]:
    """The processes the wheel counts as using the server."""
    return list(json.loads((data_dir / "pg" / ".handle_pids.json").read_text()))


def answers(data_dir: Path) -> bool:
    """The server accepts a connection (on its socket in the data directory)."""
    lines = (data_dir / "pg" / "postmaster.pid").read_text().splitlines()
    with psycopg.connect(host=lines[4], port=int(lines[3]), user="postgres",
                         dbname="postgres", connect_timeout=10) as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


def serve(data_dir: Path, name: str) -> Process:
    port = free_port()
    served = Process(name, ["serve", "--port", str(port)], embedded_env(data_dir), data_dir)

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, STARTUP, f"{name} serving", [served], every=0.5)
    return served


def stop(process: Process, how: signal.Signals) -> int:
    process.popen.send_signal(how)
    return process.popen.wait(timeout=120)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_stops_the_embedded_server_it_started(data_dir: Path, how: signal.Signals
                                                    ) -> None:
    served = serve(data_dir, "serve")
    server = postmaster(data_dir)
    assert running(server) and users(data_dir) == [served.popen.pid]

    assert stop(served, how) == 0, served.tail()

    wait_until(lambda: not running(server), 60, "the embedded server stopped")
    assert users(data_dir) == []
    assert not (data_dir / "pg" / "postmaster.pid").exists()


@pytest.mark.slow
def test_the_server_runs_while_another_process_uses_it_and_a_killed_one_holds_it_not(
        data_dir: Path) -> None:
    served = serve(data_dir, "serve")
    worker = Process("worker", ["worker"], embedded_env(data_dir), data_dir)
    try:
        wait_until(lambda: "worker running" in worker.log.read_text(), STARTUP,
                   "the worker running", [worker, served], every=0.5)
        server = postmaster(data_dir)

        assert stop(served, signal.SIGTERM) == 0, served.tail()
        assert running(server) and answers(data_dir)
        assert users(data_dir) == [worker.popen.pid]

        # Killed, the worker runs no exit handler: it stays listed as a user, the server runs.
        worker.kill()
        assert running(server) and users(data_dir) == [worker.popen.pid]
    finally:
        worker.kill()
        if served.alive:
            served.kill()

    # The next Frontdesk process to exit finds it the last living user, and stops the server.
    status = subprocess.run([FRONTDESK, "projections", "status"], env=embedded_env(data_dir),
                            capture_output=True, text=True, timeout=STARTUP)
    assert status.returncode == 0, status.stdout + status.stderr
    wait_until(lambda: not running(server), 60, "the embedded server stopped")
    assert users(data_dir) == []
