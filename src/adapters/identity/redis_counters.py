"""Request rate-limit counters in Redis (``FRONTDESK_REDIS_URL``), shared by every API process
like the PostgreSQL ones (``AccessGate.hit``) but without a database round trip per request.

Same fixed windows: one key per limited subject and window start (``frontdesk:rl:<subject>:
<window start>``), counted with INCR and expiring with its window, both in one pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.identity.access import window_of


class RedisCounters:
    def __init__(self, url: str, *, prefix: str = "frontdesk:rl:") -> None:
        import redis.asyncio  # imported here: only a Redis deployment needs the client

        self._redis: Any = redis.asyncio.Redis.from_url(url, socket_timeout=1.0,
                                                        socket_connect_timeout=1.0)
        self._prefix = prefix

    async def hit(self, hits: Mapping[str, int], window: int) -> tuple[dict[str, int], int]:
        """Add ``hits[key]`` to each key's counter; returns the totals and seconds left."""
        start, end, left = window_of(window)
        keys = list(hits)
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                name = f"{self._prefix}{key}:{start}"
                pipe.incrby(name, hits[key])
                pipe.expireat(name, end + 1, nx=True)
            replies = await pipe.execute()
        return {key: int(replies[2 * n]) for n, key in enumerate(keys)}, left

    async def close(self) -> None:
        await self._redis.aclose()
