"""The console: server-rendered pages (Jinja2 + htmx) for the people the product is for: the
agent's workspace and the supervisor's wall, live over server-sent events (ADR 0069); the
owners' analytics and operations pages, with charts (ADR 0088)."""

from __future__ import annotations

import logging
from pathlib import Path

from entrypoints.container import Container
from entrypoints.http.console import assets
from entrypoints.http.console.analytics import AnalyticsController, AnalyticsReads
from entrypoints.http.console.auth import ConsoleAuthController, ConsoleHomeController, CookiePolicy
from entrypoints.http.console.drafts import DraftsController
from entrypoints.http.console.live import LiveController, LiveViews
from entrypoints.http.console.operations import OperationsController, OperationsReads
from entrypoints.http.console.wall import WallController, WallReads
from entrypoints.http.console.workspace import WorkspaceController, WorkspaceReads
from entrypoints.http.deps import origin_of
from entrypoints.http.slices import Slice

log = logging.getLogger("frontdesk.console")


def _provide(root: Container) -> dict[str, object]:
    settings = root.settings()
    missing = assets.missing(settings.assets_dir)
    if missing:
        log.warning("console assets missing under %s (%s): run `make install`",
                    settings.assets_dir, ", ".join(missing))
    center, conversations = root.contact_center, root.conversations
    workspace = WorkspaceReads(center.queries(), center.catalog_queries(),
                               conversations.queries(), root.leads.contact_queries(),
                               root.knowledge.contact_memories())
    wall = WallReads(center.queries(), root.clock())
    return {
        "authenticate": root.identity.authenticate(),
        "origin": origin_of(settings.trust_forwarded_for),
        "cookie_policy": CookiePolicy(secure=settings.env == "production"),
        "workspace": workspace, "wall": wall, "replies": conversations.replies(),
        "live": LiveViews(workspace, wall, root.streams.hub(),
                          heartbeat=settings.streams_heartbeat),
        "analytics_pages": AnalyticsReads(
            root.analytics.ltv_queries(), center.performance_queries(), center.queries(),
            conversations.queries(), root.clock()),
        "operations_pages": OperationsReads(
            root.identity.audit_queries(), root.projection_manager(),
            center.performance_queries(), root.clock()),
    }


SLICE = Slice("console", [ConsoleAuthController, ConsoleHomeController, WorkspaceController,
                          WallController, LiveController, DraftsController,
                          AnalyticsController, OperationsController],
              provide=_provide, templates=Path(__file__).parent / "templates",
              files=lambda root: assets.routers(root.settings().assets_dir))
