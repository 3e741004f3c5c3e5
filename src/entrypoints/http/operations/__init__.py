"""Operations: liveness, readiness and metrics (public, like any probe)."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from adapters.postgres.health import HealthChecks
from entrypoints.container import Container
from entrypoints.http.operations.health import HealthController
from entrypoints.http.operations.metrics import MetricsController
from entrypoints.http.slices import Slice


def _provide(root: Container) -> dict[str, object]:
    return {"health": HealthChecks(root.app_pool(), root.projection_manager(),
                                   root.vendor_circuits())}


SLICE = Slice("operations", [HealthController, MetricsController], [Tag(name="health")],
              provide=_provide)
