"""Prometheus metrics (text exposition format): this process's, or all API processes' in
multiprocess mode (ADR 0054)."""

from __future__ import annotations

from litestar import Controller, Response, get
from prometheus_client import generate_latest

from adapters.observability.service import scrape_registry


class MetricsController(Controller):
    path = "/metrics"
    tags = ["health"]
    opt = {"public": True}

    @get("/", security=[], summary="Prometheus metrics", media_type="text/plain",
         description="Request latency by route, commands by type, projection lag, memory "
                     "searches, LLM latency, tokens and outcomes by provider, vendor circuit "
                     "states, outbox results; with `serve --workers N`, over every API process. "
                     "Public, like /health (bind or filter it at the "
                     "proxy). Roles: none.")
    async def metrics(self) -> Response[bytes]:
        return Response(generate_latest(scrape_registry()), media_type="text/plain; version=0.0.4")
