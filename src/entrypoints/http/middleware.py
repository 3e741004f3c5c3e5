"""Outermost ASGI middleware (inside the server span when traced): request id in and out,
security headers, one access-log line, the span named for the route."""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import trace

from adapters.observability.service import observe_request
from domain.shared.ids import random_bytes
from entrypoints.http.security import CONSOLE

_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
_API_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
_DOCS_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
     b"frame-ancestors 'none'"),
]
"""The API viewer and the document: Swagger UI's files from Frontdesk itself (ADR 0076)."""
_CONSOLE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
     b"frame-ancestors 'none'"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
"""The console's pages: only its own scripts, styles and connections (ADR 0069)."""
_WIDGET_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-resource-policy", b"cross-origin"),
]
"""The web chat widget: its loader script is fetched by the tenants' pages (other origins),
and its chat page sets its own policy, framed only by the key's allowed origins (ADR 0084)."""
WIDGET = "/widget/"
PAID = "/paid"
log = structlog.get_logger("frontdesk.access")


def name_span(scope: Scope) -> None:
    """The server span (when traced) named for the route's template, ids left out:
    ``POST /v1/leads/{lead_id}/qualify``. Before the answer's last message, which ends it."""
    span = trace.get_current_span()
    if span.is_recording():
        route = scope.get("path_template") or "unmatched"
        span.update_name(f"{scope.get('method')} {route}")
        span.set_attribute("http.route", route)


def request_context(app: ASGIApp, *, hsts_seconds: int = 0) -> ASGIApp:
    """``hsts_seconds`` > 0 (TLS terminates in front, FRONTDESK_HSTS_SECONDS): every answer
    also carries ``Strict-Transport-Security: max-age=N; includeSubDomains``."""
    hsts = [(b"strict-transport-security",
             f"max-age={hsts_seconds}; includeSubDomains".encode())] if hsts_seconds else []

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else random_bytes.take(16).hex()
        path: str = scope["path"]
        extra = (_DOCS_HEADERS if path.startswith("/schema") else
                 _CONSOLE_HEADERS if path.startswith((CONSOLE, PAID)) else
                 _WIDGET_HEADERS if path.startswith(WIDGET) else _API_HEADERS) + hsts
        status: dict[str, int] = {"code": 500}
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                name_span(scope)
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(h for h in extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await app(scope, receive, send_with_headers)
        finally:
            user: Any = scope.get("user")
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            observe_request(str(scope.get("method")), route, status["code"], elapsed)
            log.info("request", method=scope.get("method"), path=path, status=status["code"],
                     duration_ms=round(elapsed * 1000, 2),
                     ip=(scope.get("client") or ("",))[0] or None,
                     tenant_id=str(getattr(user, "tenant_id", "")) or None,
                     user_id=str(getattr(user, "user_id", "")) or None)
            structlog.contextvars.clear_contextvars()

    return middleware


def answer_options(app: ASGIApp) -> ASGIApp:
    """Middleware, outermost of the app's: ``OPTIONS`` on a route answers 204 with ``Allow``
    naming every method the path has. Litestar 2's generated ``OPTIONS`` handler lists only
    the methods its route had when it was made, so a path whose handlers were added in two
    steps (``GET`` and ``POST`` of one controller) lost some (ADR 0077)."""
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        http: Any = scope
        handler = http.get("route_handler")
        if (http["type"] != "http" or http["method"] != "OPTIONS"
                or getattr(handler, "include_in_schema", None) is not False):  # generated
            await app(scope, receive, send)
            return
        methods = http["litestar_app"].route_handler_method_map.get(http["path_template"], {})
        start: Any = {"type": "http.response.start", "status": 204, "headers": [
            (b"allow", ", ".join(sorted(methods)).encode()), (b"content-length", b"0")]}
        await send(start)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return middleware
