"""The Litestar application, built from the container."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag

from adapters.postgres.health import HealthChecks
from entrypoints.container import Container
from entrypoints.http import contact_center_api
from entrypoints.http.deps import ContactHandlers, IdentityHandlers, LeadHandlers, ReadSide
from entrypoints.http.middleware import request_context
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.routes.admin import AdminController
from entrypoints.http.routes.auth import AuthController
from entrypoints.http.routes.contacts import ContactsController
from entrypoints.http.routes.health import HealthController
from entrypoints.http.routes.leads import LeadsController
from entrypoints.http.security import TokenAuthentication, require_roles
from entrypoints.runtime import Runtime

log = logging.getLogger("frontdesk")

DESCRIPTION = """
Frontdesk is the back office of businesses that sell through conversations: leads, contacts,
and (in later releases) cases, conversations and the contact center.

* **Auth**: `POST /v1/auth/login` returns a bearer JWT that carries tenant and roles; every
  `/v1` route states its roles. Tenants are provisioned with `ADMIN_API_TOKEN`.
* **Errors** are RFC 9457 `application/problem+json` with a stable `type`.
* **Writes** accept `Idempotency-Key` (a retry returns the first response) and, on an existing
  resource, `If-Match: <version>` (a stale version is a 409). Each write answers with
  `X-Frontdesk-Position`; send it back as `X-Frontdesk-Min-Position` on a read to wait until the
  read models include your write.
* **Lists** are cursor-paginated: `limit`, `cursor`, and `next_cursor` in the answer.
"""


def _value(value: Any) -> Provide:
    return Provide(lambda: value, use_cache=True, sync_to_thread=False)


def create_app(container: Container, *, runtime: Runtime | None = None) -> Litestar:
    settings = container.settings()
    contacts = ContactHandlers(container.register_contact(), container.change_contact_details(),
                               container.change_contact_consent(), container.contact_queries())
    leads = LeadHandlers(
        capture=container.capture_lead(), import_leads=container.import_leads(),
        assign=container.assign_lead(), contact=container.record_lead_contact(),
        score=container.score_lead(), qualify=container.qualify_lead(),
        schedule_follow_up=container.schedule_follow_up(),
        complete_follow_up=container.complete_follow_up(), convert=container.convert_lead(),
        lose=container.lose_lead(), reopen=container.reopen_lead(),
        queries=container.lead_queries())
    identity = IdentityHandlers(container.provision_tenant(), container.authenticate(),
                                settings.admin_api_token)
    reads = ReadSide(container.consistency(), container.event_store(),
                     settings.read_your_writes_timeout)
    health = HealthChecks(container.app_pool(), container.projection_manager())
    auth = type("Authentication", (TokenAuthentication,), {"tokens": container.tokens()})

    def started() -> None:
        if runtime is not None:
            runtime.start()
        if container.tenants().count() == 0:
            log.warning("no tenant yet: create one with `frontdesk tenants create --name "
                        "'Bright Smile Clinic' --slug bright-smile --admin-email "
                        "owner@bright.example` or POST /v1/admin/tenants with ADMIN_API_TOKEN")

    def stopped() -> None:
        if runtime is not None:
            runtime.stop()

    cors = None
    if settings.cors_origins.strip():
        cors = CORSConfig(allow_origins=[o.strip() for o in settings.cors_origins.split(",")],
                          allow_headers=["Authorization", "Content-Type", "Idempotency-Key",
                                         "If-Match", "X-Request-ID",
                                         "X-Frontdesk-Min-Position"],
                          expose_headers=["ETag", "X-Request-ID", "X-Frontdesk-Position",
                                          "X-Frontdesk-Consistency"])
    return Litestar(
        route_handlers=[HealthController, AdminController, AuthController, ContactsController,
                        LeadsController, *contact_center_api.CONTROLLERS],
        dependencies={"bus": _value(container.bus()), "contacts": _value(contacts),
                      "leads": _value(leads), "identity": _value(identity),
                      "reads": _value(reads), "health": _value(health),
                      **contact_center_api.dependencies(container)},
        middleware=[request_context,
                    DefineMiddleware(auth, exclude=["^/schema"], exclude_from_auth_key="public")],
        guards=[require_roles],
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[started],
        on_shutdown=[stopped],
        request_max_body_size=settings.max_body_bytes,
        cors_config=cors,
        openapi_config=OpenAPIConfig(
            title="Frontdesk API", version="1.0.0", description=DESCRIPTION, path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            components=Components(security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer",
                                              bearer_format="JWT",
                                              description="From POST /v1/auth/login"),
                "AdminToken": SecurityScheme(type="http", scheme="bearer",
                                             description="ADMIN_API_TOKEN")}),
            security=[{"BearerToken": []}],
            tags=[Tag(name="leads", description="The lead pipeline"),
                  Tag(name="contacts", description="People (data subjects)"),
                  contact_center_api.TAG,
                  Tag(name="auth"), Tag(name="admin"), Tag(name="health")]),
        debug=False,
        logging_config=None,
    )
