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
from typing import Any

import httpx

from adapters.postgres.database import DatabaseRoles
from entrypoints.settings import DEV_DB_PASSWORD
from tests.conftest import PASSWORD, ROOT

OWNER_AND_ROLE_SETTINGS = ("DATABASE_URL", "FRONTDESK_API_DATABASE_URL",
                           "FRONTDESK_WORKER_DATABASE_URL", "FRONTDESK_APP_DB_PASSWORD",
                           "FRONTDESK_WORKER_DB_PASSWORD")


@dataclass(frozen=True)
class Served:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def call(self, token: str, method: str, path: str, headers: dict[str, str] | None = None,
             **kwargs: Any) -> Any:
        """A successful call of the served API as ``token``: its JSON (None when empty)."""
        response = httpx.request(method, self.url + path, timeout=30, headers={
            "Authorization": f"Bearer {token}", **(headers or {})}, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def login(self, slug: str, email: str, password: str = PASSWORD) -> str:
        """An access token of the user ``email`` of tenant ``slug``."""
        answer = httpx.post(f"{self.url}/v1/auth/login", timeout=30,
                            json={"tenant": slug, "email": email, "password": password})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])


_MIGRATED: set[str] = set()


def migrated(owner_url: str) -> DatabaseRoles:
    """The release step, once per database: ``frontdesk migrate`` with the owner's URL. Returns
    the service roles' URLs (the development passwords)."""
    if owner_url not in _MIGRATED:
        subprocess.run([str(ROOT / ".venv/bin/frontdesk"), "migrate"], cwd=ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": owner_url,
                            "FRONTDESK_LOG_LEVEL": "WARNING"}, stdout=subprocess.DEVNULL)
        _MIGRATED.add(owner_url)
    return DatabaseRoles.from_owner(owner_url, DEV_DB_PASSWORD, DEV_DB_PASSWORD)


@contextmanager
def served(owner_url: str, serve_args: Sequence[str] = (), **settings: str) -> Iterator[Served]:
    """``frontdesk serve [serve_args]`` with ``settings`` in its environment, on a database
    migrated first, holding the service roles' URLs and never the owner's (ADR 0072); with
    ``FRONTDESK_IN_PROCESS_PROJECTIONS=false``, the API's URL only."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    roles = migrated(owner_url)
    credentials = {"FRONTDESK_API_DATABASE_URL": roles.app_url}
    if settings.get("FRONTDESK_IN_PROCESS_PROJECTIONS") != "false":
        credentials["FRONTDESK_WORKER_DATABASE_URL"] = roles.worker_url
    inherited = {k: v for k, v in os.environ.items() if k not in OWNER_AND_ROLE_SETTINGS}
    env = {**inherited, **credentials, "ADMIN_API_TOKEN": "dev-admin-token",
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
