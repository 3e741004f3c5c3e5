"""`frontdesk serve` as a real process on a free loopback port, for tests that need the
running service (the README tours, the fuzzing run)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from tests.conftest import ROOT


@dataclass(frozen=True)
class Served:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None


@contextmanager
def served(owner_url: str, serve_args: Sequence[str] = (), **settings: str) -> Iterator[Served]:
    """``frontdesk serve [serve_args]`` with ``settings`` in its environment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": owner_url, "ADMIN_API_TOKEN": "dev-admin-token",
           "FRONTDESK_PORT": str(port), "FRONTDESK_LOG_LEVEL": "WARNING", **settings}
    server = subprocess.Popen([str(ROOT / ".venv/bin/frontdesk"), "serve", *serve_args],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a busy machine starts it slowly
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)
        yield Served(url, {**env, "API": url}, server)
    finally:
        server.terminate()
        server.wait(timeout=20)
