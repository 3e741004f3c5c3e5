"""Prometheus metrics (text exposition format): this process's, or all API processes' in
multiprocess mode (ADR 0054).

The scrape reads the projection lag from the database, so it runs on a thread, never on the
event loop: a slow or unreachable database must not stall every other request of the process
(liveness included)."""

from __future__ import annotations

from litestar import Controller, Response, get
from prometheus_client import generate_latest

from adapters.observability.service import scrape_registry


class MetricsController(Controller):
    path = "/metrics"
    tags = ["health"]
    opt = {"public": True}

    @get("/", security=[], summary="Prometheus metrics", media_type="text/plain",
         sync_to_thread=True,
         description="Request latency by route, commands by type, projection lag, memory "
                     "searches, LLM latency, tokens and outcomes by provider, vendor circuit "
                     "states, outbox results; with `serve --workers N`, over every API process. "
                     "Public, like /health (bind or filter it at the "
                     "proxy). The projection lag is read from the database with a 2 s bound; "
                     "while the database is unreachable it is left out and the rest is "
                     "served. Roles: none.")
    def metrics(self) -> Response[bytes]:
        return Response(generate_latest(scrape_registry()), media_type="text/plain; version=0.0.4")
