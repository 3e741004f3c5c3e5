"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get

from adapters.postgres.health import HealthChecks
from entrypoints.http.deps import Provided


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    opt = {"public": True}

    @get("/", summary="Liveness", security=[])
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", sync_to_thread=True, summary="Readiness",
         description="Database reachable, every tenant table under row-level security (count "
                     "reported), projection lag: 503 when any of these fails. Each vendor "
                     "(`llm:<provider>` of the chain, `twilio`, `smtp`, `stripe`) with "
                     "`configured` and its `circuit` (closed, open, half-open). An open "
                     "circuit does not fail readiness: `degraded` is true and the answer stays "
                     "200 (work is still accepted and queued; ADR 0050). Neither does a "
                     "projection that keeps failing to apply a batch: it is named in "
                     "`projections.failing`, with its error class, failure count and since "
                     "when, and `degraded` is true (ADR 0060). Database checks are bounded at "
                     "2 s (ADR 0059).", security=[])
    def ready(self, health: Provided[HealthChecks]) -> Response[dict[str, Any]]:
        readiness = health.readiness()
        return Response({"status": "ready" if readiness.ready else "not ready",
                         "degraded": readiness.degraded, "checks": readiness.checks},
                        status_code=200 if readiness.ready else 503)
