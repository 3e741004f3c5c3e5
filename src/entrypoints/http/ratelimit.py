"""Rate limits per client IP and per tenant, counted in fixed one-minute windows shared by
every API process (PostgreSQL by default; see ADR 0050). Over the limit: 429 problem+json with
``Retry-After``. Every limited answer carries ``RateLimit-Limit``/``-Remaining``/``-Reset``.

It runs after authentication (the tenant comes from the verified token); requests that
authentication refuses are counted against their address by ``refusal_counter``. Health,
metrics and the OpenAPI documents are not limited. When the counter store is unreachable the
request goes through: the database being down is answered by the route itself (503).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

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


HitFunction = Callable[[list[str], int], Awaitable[tuple[dict[str, int], int]]]


def rate_limit(hit: HitFunction, *, per_ip: int, per_tenant: int,
               trust_forwarded: bool = False) -> Callable[[ASGIApp], ASGIApp]:
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
            if not limits:
                await app(scope, receive, send)
                return
            try:
                counts, reset = await hit(list(limits), WINDOW)
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
            counts, reset = await hit([f"ip:{ip}"], WINDOW)
        except Exception as error:  # the store is down: answer the 401
            log.debug("rate-limit store unavailable: %s", error)
            return None
        return reset if counts.get(f"ip:{ip}", 0) > per_ip else None

    return over


async def send_problem(send: Send, status: int, kind: str, title: str, detail: str,
                       headers: list[tuple[bytes, bytes]]) -> None:
    """A problem+json answer written straight to ASGI (for middleware, before any route)."""
    payload = json.dumps({"type": f"https://frontdesk.dev/problems/{kind}", "title": title,
                          "status": status, "detail": detail}).encode()
    start: Any = {"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode()), *headers]}
    await send(start)
    body_message: Any = {"type": "http.response.body", "body": payload}
    await send(body_message)


async def too_many(send: Send, scope_name: str, retry_after: int,
                    headers: list[tuple[bytes, bytes]]) -> None:
    body: dict[str, Any] = {
        "type": "https://frontdesk.dev/problems/rate-limited", "title": "Too many requests",
        "status": 429, "detail": f"the {'client' if scope_name == 'ip' else 'tenant'} rate "
                                 f"limit was reached; retry after {retry_after} s",
        "retry_after": retry_after}
    payload = json.dumps(body).encode()
    start: Any = {"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode()),
        (b"retry-after", str(retry_after).encode()), *headers]}
    await send(start)
    body_message: Any = {"type": "http.response.body", "body": payload}
    await send(body_message)
