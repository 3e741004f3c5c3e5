"""Prometheus metrics (prometheus-client's default registry)."""

from __future__ import annotations

from litestar import Controller, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


class MetricsController(Controller):
    path = "/metrics"
    tags = ["health"]
    opt = {"public": True}

    @get("/", summary="Prometheus metrics", security=[], include_in_schema=True,
         description="Counters and histograms in the Prometheus text format.")
    async def metrics(self) -> Response[bytes]:
        return Response(content=generate_latest(), media_type=CONTENT_TYPE_LATEST)
