"""What the request path asks the database about access, asynchronously, on the event loop:
API keys, whether a user's tokens are still good, and the shared rate-limit counters.

Answers about keys and users are cached for ``ttl`` seconds: a key revoked or a user disabled
in another process stops working here within that time (at once in the process that did it).
Whether an access token was revoked by its id (a logout, ADR 0079) is asked on every request,
uncached: one primary-key lookup, so a logout holds at once in every process.
A key's last use is written at most once a minute per key and process (and the database
ignores a write less than a minute after the last one), not on every request (ADR 0080).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from adapters.identity.access import HIT_BY, window_of
from adapters.postgres.circuit import CONNECT_TIMEOUT, RECONNECT_TIMEOUT

USE_RECORD_INTERVAL = 60.0
"""Seconds between two writes of a key's last use by one process."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    tenant_id: UUID
    id: UUID
    secret_hash: bytes
    roles: frozenset[str]
    revoked: bool
    expires_at: float | None = None  # epoch seconds; None: never

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True, slots=True)
class UserStanding:
    tokens_valid_after: float  # epoch seconds; tokens issued before are refused
    disabled: bool
    exists: bool


class AccessGate:
    def __init__(self, url: str, *, ttl: float = 10.0, max_size: int = 4) -> None:
        # Short connect and reconnect bounds: after an outage it connects when next asked
        # instead of after a back-off of up to minutes (ADR 0073).
        self._pool = AsyncConnectionPool(url, min_size=1, max_size=max_size, open=False,
                                         kwargs={"autocommit": True, "row_factory": dict_row,
                                                 "connect_timeout": CONNECT_TIMEOUT},
                                         reconnect_timeout=RECONNECT_TIMEOUT)
        self._ttl = ttl
        self._keys: dict[str, tuple[float, KeyRecord | None]] = {}
        self._users: dict[tuple[UUID, UUID], tuple[float, UserStanding]] = {}
        self._used: dict[str, float] = {}  # prefix -> when its last use was written
        self._opened = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        if not self._opened:
            self._loop = asyncio.get_running_loop()
            await self._pool.open(wait=False)
            self._opened = True

    def check(self, timeout: float = 5.0) -> None:
        """Drop the pool's broken connections (a database restart breaks every one of them),
        on the pool's own event loop; called from another thread, which waits at most
        ``timeout`` seconds. Otherwise each broken connection fails one request, whenever it
        is next used."""
        loop = self._loop
        if self._opened and loop is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(self._pool.check(), loop).result(timeout)

    async def close(self) -> None:
        if self._opened:
            await self._pool.close()
            self._opened = False

    def forget_keys(self) -> None:
        self._keys.clear()

    def forget_user(self, tenant_id: UUID, user_id: UUID) -> None:
        self._users.pop((tenant_id, user_id), None)

    async def api_key(self, prefix: str) -> KeyRecord | None:
        cached = self._keys.get(prefix)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        await self.open()
        async with self._pool.connection() as conn:
            cursor = await conn.execute("SELECT * FROM frontdesk_api_key(%s)", (prefix,))
            row: Any = await cursor.fetchone()
        record = None if row is None else KeyRecord(
            row["tenant_id"], row["id"], bytes(row["secret_hash"]), frozenset(row["roles"]),
            row["revoked_at"] is not None,
            None if row["expires_at"] is None else row["expires_at"].timestamp())
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[prefix] = (now + self._ttl, record)
        return record

    async def used(self, prefix: str) -> None:
        """Record that the key was used now, unless this process did less than a minute ago."""
        now = time.monotonic()
        last = self._used.get(prefix)
        if last is not None and now - last < USE_RECORD_INTERVAL:
            return
        if len(self._used) > 10_000:
            self._used.clear()
        self._used[prefix] = now
        await self.open()
        async with self._pool.connection() as conn:
            await conn.execute("SELECT frontdesk_api_key_used(%s)", (prefix,))

    async def standing(self, tenant_id: UUID, user_id: UUID) -> UserStanding:
        key = (tenant_id, user_id)
        cached = self._users.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        await self.open()
        async with self._pool.connection() as conn:
            cursor = await conn.execute("SELECT * FROM frontdesk_token_cutoff(%s, %s)",
                                        (tenant_id, user_id))
            row: Any = await cursor.fetchone()
        if row is None:
            standing = UserStanding(0.0, True, False)
        else:
            after = row["tokens_valid_after"]
            standing = UserStanding(after.timestamp(),
                                    bool(row["disabled"]), True)
        if len(self._users) > 100_000:
            self._users.clear()
        self._users[key] = (now + self._ttl, standing)
        return standing

    async def revoked(self, tenant_id: UUID, token_id: str) -> bool:
        """Whether this access token was revoked by its id (not cached: a logout holds at once
        in every process)."""
        await self.open()
        async with self._pool.connection() as conn:
            cursor = await conn.execute("SELECT frontdesk_token_revoked(%s, %s) AS revoked",
                                        (tenant_id, token_id), prepare=True)
            row: Any = await cursor.fetchone()
        return bool(row["revoked"])

    async def hit(self, hits: Mapping[str, int], window: int) -> tuple[dict[str, int], int]:
        """Count ``hits[key]`` more requests against each key; returns the keys' totals in
        this window and its seconds left."""
        start, end, left = window_of(window)
        await self.open()
        async with self._pool.connection() as conn:
            cursor = await conn.execute(HIT_BY, {"keys": list(hits), "ns": list(hits.values()),
                                                 "w": start, "end": end}, prepare=True)
            rows: Any = await cursor.fetchall()
        return {r["key"]: int(r["hits"]) for r in rows}, left
