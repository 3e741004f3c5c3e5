"""Prometheus metrics (text exposition format) from the default registry."""

from __future__ import annotations

from litestar import Controller, Response, get
from prometheus_client import generate_latest


class MetricsController(Controller):
    path = "/metrics"
    tags = ["health"]
    opt = {"public": True}

    @get("/", security=[], summary="Prometheus metrics", media_type="text/plain",
         description="Request latency by route, commands by type, projection lag, memory "
                     "searches, LLM latency, tokens and outcomes by provider, vendor circuit "
                     "states, outbox results. Public, like /health (bind or filter it at the "
                     "proxy). Roles: none.")
    async def metrics(self) -> Response[bytes]:
        return Response(generate_latest(), media_type="text/plain; version=0.0.4")
