"""While the database's circuit is open (ADR 0073), every request that needs the database is
answered 503 problem+json with ``Retry-After`` at once, before authentication, rate limits or
a route could wait on a connection pool. The probes (``/health…``, ``/metrics``), the OpenAPI
documents and the console's static files do not need the database and pass."""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from adapters.postgres.circuit import DatabaseCircuit, DatabaseUnavailable
from entrypoints.http.ratelimit import EXEMPT, send_problem
from entrypoints.http.security import CONSOLE

PASS = (*EXEMPT, f"{CONSOLE}/static/", f"{CONSOLE}/vendor/")
UNAVAILABLE = "the database is unavailable; retry shortly"


def refuse_while_unreachable(circuit: DatabaseCircuit, app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(PASS):  # type: ignore[comparison-overlap]
            try:
                circuit.admit()
            except DatabaseUnavailable as down:
                await send_problem(send, 503, "unavailable", "Service unavailable",
                                   UNAVAILABLE, [(b"retry-after", str(down.retry_after).encode())])
                return
        await app(scope, receive, send)

    return middleware
