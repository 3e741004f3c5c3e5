"""Analytics: lifetime value (live or as of a moment), agent performance, AI usage."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from entrypoints.container import Container
from entrypoints.http.analytics.agents import AgentAnalyticsController
from entrypoints.http.analytics.ai_usage import AiUsageController
from entrypoints.http.analytics.ltv import LtvController
from entrypoints.http.slices import Slice


def _provide(root: Container) -> dict[str, object]:
    return {"ltv": root.analytics.ltv_queries(),
            "performance": root.contact_center.performance_queries(),
            "usage": root.conversations.queries(), "clock": root.clock()}


SLICE = Slice(
    "analytics", [LtvController, AgentAnalyticsController, AiUsageController],
    [Tag(name="analytics", description="Lifetime value, live or as of a moment")],
    provide=_provide)
