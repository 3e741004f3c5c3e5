"""The console: server-rendered pages (Jinja2 + htmx) for the people the product is for: the
agent's workspace and the supervisor's wall, live over server-sent events (ADR 0069); the
owners' pipeline, cases and privacy pages (ADR 0087), analytics and operations with charts
(ADR 0088) and settings (ADR 0089)."""

from __future__ import annotations

import logging
from pathlib import Path

from litestar.exceptions import PermissionDeniedException

from entrypoints.container import Container
from entrypoints.http.console import assets
from entrypoints.http.console.analytics import AnalyticsController, AnalyticsReads
from entrypoints.http.console.auth import ConsoleAuthController, ConsoleHomeController, CookiePolicy
from entrypoints.http.console.cases import CasesController, PaymentLinks
from entrypoints.http.console.drafts import DraftsController
from entrypoints.http.console.live import LiveController, LiveViews
from entrypoints.http.console.operations import OperationsController, OperationsReads
from entrypoints.http.console.pages import refused_role
from entrypoints.http.console.pipeline import PipelineController
from entrypoints.http.console.privacy import PrivacyController
from entrypoints.http.console.settings import SettingsController, SettingsReads
from entrypoints.http.console.settings_access import SettingsAccessController
from entrypoints.http.console.settings_assistant import SettingsAssistantController
from entrypoints.http.console.settings_knowledge import SettingsKnowledgeController
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
        "payment_links": PaymentLinks(enabled=bool(settings.stripe_api_key)),
        **_settings(root),
        "analytics_pages": AnalyticsReads(
            root.analytics.ltv_queries(), center.performance_queries(), center.queries(),
            conversations.queries(), root.clock()),
        "operations_pages": OperationsReads(
            root.identity.audit_queries(), root.projection_manager(),
            center.performance_queries(), root.clock()),
    }


def _settings(root: Container) -> dict[str, object]:
    """What the Settings page reads and the services its forms call (the API's own)."""
    identity, conversations = root.identity, root.conversations
    return {"settings": SettingsReads(identity.access_directory(),
                                      conversations.assistant_settings(),
                                      conversations.queries()),
            "users": identity.users(), "api_keys": identity.api_keys(),
            "assistant_settings": conversations.assistant_settings()}


SLICE = Slice("console", [ConsoleAuthController, ConsoleHomeController, WorkspaceController,
                          WallController, LiveController, DraftsController,
                          PipelineController, CasesController, PrivacyController,
                          SettingsController, SettingsAccessController,
                          SettingsAssistantController, SettingsKnowledgeController,
                          AnalyticsController, OperationsController],
              provide=_provide, problems={PermissionDeniedException: refused_role},
              templates=Path(__file__).parent / "templates",
              files=lambda root: assets.routers(root.settings().assets_dir))
