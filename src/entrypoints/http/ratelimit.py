"""Rate limits per client IP and per tenant, counted in fixed one-minute windows shared by
every API process (PostgreSQL by default, Redis when configured; see ADR 0052). Over the
limit: 429 problem+json with ``Retry-After``. Every limited answer carries
``RateLimit-Limit``/``-Remaining``/``-Reset``.

It runs after authentication (the tenant comes from the verified token); requests that
authentication refuses are counted against their address by ``refusal_counter``. Health,
metrics and the OpenAPI documents are not limited. When the counter store is unreachable the
request goes through: the database being down is answered by the route itself (503).

Far from a limit, each process adds its hits up and sends them in one round trip at most every
100 ms; near a limit every hit is sent at once (``SharedCounts``; ADR 0052).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from adapters.identity.access import window_of

log = logging.getLogger("frontdesk.ratelimit")
EXEMPT = ("/health", "/metrics", "/schema")
WINDOW = 60


def client_ip(scope: Scope, trust_forwarded: bool = False) -> str | None:
    if trust_forwarded:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                return value.decode("latin-1").split(",")[0].strip() or None
    client = scope.get("client")
    return client[0] if client else None


HitFunction = Callable[[Mapping[str, int], int], Awaitable[tuple[dict[str, int], int]]]
"""Adds ``hits[key]`` to each key's shared counter; returns the totals and the seconds left in
the window."""


class SharedCounts:
    """This process's side of the shared counters.

    While every key of a request is far from its limit (more than ``headroom`` of it left, and
    at least ``min_headroom`` hits), hits are added up here and sent in one round trip at most
    every ``interval`` seconds; the answer is the last known total plus what is not sent yet.
    Within the headroom every hit is sent at once, so small limits and the last stretch of a
    large one are counted exactly across processes. What other processes counted since the last
    round trip is unseen until the next: a busy client may pass a large limit by what it sends
    to other processes in ``interval``, never by more than the headroom unless that is more."""

    def __init__(self, hit: HitFunction, *, interval: float = 0.1, headroom: float = 0.2,
                 min_headroom: int = 100, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self._hit, self._clock, self._wall = hit, clock, wall
        self._interval, self._headroom, self._min_headroom = interval, headroom, min_headroom
        self._window = -1
        self._known: dict[str, int] = {}
        self._pending: dict[str, int] = {}
        self._sent_at = -math.inf
        self._in_flight = 0

    async def count(self, limits: Mapping[str, int], window: int
                    ) -> tuple[dict[str, int], int]:
        """Count one request against each key of ``limits``; returns the keys' counts in this
        window (this request included) and the window's seconds left."""
        start, _, left = window_of(window, self._wall())
        if start != self._window:
            self._window, self._known, self._pending = start, {}, {}
            self._sent_at = -math.inf
        for key in limits:
            self._pending[key] = self._pending.get(key, 0) + 1
        due = self._in_flight == 0 and self._clock() - self._sent_at >= self._interval
        if due or self._near(limits):
            await self._send(window, start)
        return {k: self._known.get(k, 0) + self._pending.get(k, 0) for k in limits}, left

    def _near(self, limits: Mapping[str, int]) -> bool:
        for key, limit in limits.items():
            left = limit - self._known.get(key, 0) - self._pending.get(key, 0)
            if left < max(self._min_headroom, limit * self._headroom):
                return True
        return False

    async def _send(self, window: int, start: int) -> None:
        batch, self._pending = self._pending, {}
        self._sent_at = self._clock()
        self._in_flight += 1
        try:
            totals, _ = await self._hit(batch, window)
        except BaseException:
            if self._window == start:  # not sent: counted again with the next round trip
                for key, n in batch.items():
                    self._pending[key] = self._pending.get(key, 0) + n
            raise
        finally:
            self._in_flight -= 1
        if self._window == start:
            for key, total in totals.items():  # round trips may finish out of order
                self._known[key] = max(self._known.get(key, 0), total)


WIDGET = "/widget/"
"""The web chat widget's public routes: limited per IP and per widget key (``?key=``) with
limits of their own, on top of the API's per-IP limit (ADR 0084)."""


def widget_key_of(scope: Scope) -> str | None:
    for part in scope.get("query_string", b"").decode("latin-1").split("&"):
        name, _, value = part.partition("=")
        if name == "key" and value:
            return value[:64]
    return None


def rate_limit(hit: HitFunction, *, per_ip: int, per_tenant: int,
               trust_forwarded: bool = False, widget_per_ip: int = 0,
               per_widget_key: int = 0) -> Callable[[ASGIApp], ASGIApp]:
    counter = SharedCounts(hit)

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            path: str = scope.get("path", "")
            if scope["type"] != "http" or path.startswith(EXEMPT):  # type: ignore[comparison-overlap]
                await app(scope, receive, send)
                return
            limits: dict[str, int] = {}
            ip = client_ip(scope, trust_forwarded)
            if per_ip and ip:
                limits[f"ip:{ip}"] = per_ip
            tenant = getattr(scope.get("user"), "tenant_id", None)
            if per_tenant and tenant is not None:
                limits[f"tenant:{tenant}"] = per_tenant
            if path.startswith(WIDGET):
                key = widget_key_of(scope)
                if widget_per_ip and ip:
                    limits[f"widget-ip:{ip}"] = widget_per_ip
                if per_widget_key and key:
                    limits[f"widget:{key}"] = per_widget_key
            if not limits:
                await app(scope, receive, send)
                return
            try:
                counts, reset = await counter.count(limits, WINDOW)
            except Exception as error:  # the store is down: let the route answer
                log.debug("rate-limit store unavailable: %s", error)
                await app(scope, receive, send)
                return
            over = [key for key, limit in limits.items() if counts.get(key, 0) > limit]
            tightest = min(limits, key=lambda k: limits[k] - counts.get(k, 0))
            remaining = max(0, limits[tightest] - counts.get(tightest, 0))
            headers = [(b"ratelimit-limit", str(limits[tightest]).encode()),
                       (b"ratelimit-remaining", str(remaining).encode()),
                       (b"ratelimit-reset", str(reset).encode())]
            if over:
                await too_many(send, over[0].split(":", 1)[0], reset, headers)
                return

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message,
                               "headers": [*message.get("headers", []), *headers]}
                await send(message)

            await app(scope, receive, send_with_headers)

        return middleware

    return factory


def refusal_counter(hit: HitFunction, *, per_ip: int, trust_forwarded: bool = False
                    ) -> Callable[[Scope], Awaitable[int | None]]:
    """For requests refused by authentication (they never reach the limiter, which needs the
    verified tenant): count them against their address's limit too, so a flood of bad tokens
    is throttled like any other. Returns the seconds to wait when over the limit, else None."""

    async def over(scope: Scope) -> int | None:
        ip = client_ip(scope, trust_forwarded)
        if not per_ip or not ip:
            return None
        try:
            counts, reset = await hit({f"ip:{ip}": 1}, WINDOW)
        except Exception as error:  # the store is down: answer the 401
            log.debug("rate-limit store unavailable: %s", error)
            return None
        return reset if counts.get(f"ip:{ip}", 0) > per_ip else None

    return over


async def send_problem(send: Send, status: int, kind: str, title: str, detail: str,
                       headers: list[tuple[bytes, bytes]], **extra: Any) -> None:
    """A problem+json answer written straight to ASGI (for middleware, before any route)."""
    payload = json.dumps({"type": f"https://frontdesk.dev/problems/{kind}", "title": title,
                          "status": status, "detail": detail, **extra}).encode()
    start: Any = {"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode()), *headers]}
    await send(start)
    body_message: Any = {"type": "http.response.body", "body": payload}
    await send(body_message)


async def too_many(send: Send, scope_name: str, retry_after: int,
                   headers: list[tuple[bytes, bytes]]) -> None:
    who = {"ip": "client", "widget-ip": "client", "widget": "widget key"}.get(scope_name,
                                                                             "tenant")
    await send_problem(send, 429, "rate-limited", "Too many requests",
                       f"the {who} rate limit was reached; retry after {retry_after} s",
                       [(b"retry-after", str(retry_after).encode()), *headers],
                       retry_after=retry_after)
