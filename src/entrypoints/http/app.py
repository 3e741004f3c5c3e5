"""The Litestar application, built from the container."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import msgspec
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from pydantic import BaseModel

from adapters.identity.gate import AccessGate
from adapters.identity.redis_counters import RedisCounters
from adapters.observability.service import PROJECTION_LAG, process_exiting, process_serving
from adapters.postgres.health import PROBE_TIMEOUT, HealthChecks
from adapters.readmodels.audit import SqlAuditQueries
from entrypoints.container import Container
from entrypoints.http import contact_center_api
from entrypoints.http.deps import (
    AccessHandlers,
    AnalyticsQueries,
    CaseHandlers,
    Constant,
    ContactHandlers,
    IdentityHandlers,
    LeadHandlers,
    ReadSide,
    StripeHooks,
    resolve_constants_in_line,
)
from entrypoints.http.middleware import request_context
from entrypoints.http.openapi import document_problems
from entrypoints.http.problems import EXCEPTION_HANDLERS, ON_DATABASE_ERROR
from entrypoints.http.ratelimit import rate_limit, refusal_counter
from entrypoints.http.routes.access import ApiKeysController, UsersController
from entrypoints.http.routes.admin import AdminController
from entrypoints.http.routes.analytics import AnalyticsController
from entrypoints.http.routes.audit import AuditController
from entrypoints.http.routes.auth import AuthController
from entrypoints.http.routes.cases import CasesController
from entrypoints.http.routes.contacts import ContactsController
from entrypoints.http.routes.health import HealthController
from entrypoints.http.routes.leads import LeadsController
from entrypoints.http.routes.metrics import MetricsController
from entrypoints.http.routes.stripe_webhooks import StripeWebhooksController
from entrypoints.http.security import TokenAuthentication, require_roles
from entrypoints.http.wiring import conversation_dependencies, conversation_routes
from entrypoints.runtime import Runtime, settle_heap

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


def _as_json(model: BaseModel) -> msgspec.Raw:
    """An answer model encoded by pydantic's own serializer straight to JSON bytes, which
    msgspec copies as they are. Litestar's pydantic plugin otherwise dumps the model to
    Python objects (``model_dump(mode="json")``) that msgspec then encodes a second time."""
    return msgspec.Raw(model.__pydantic_serializer__.to_json(model))


def _pool_checker(pool: Any) -> Callable[[], None]:
    """Drop the pool's broken connections in the background (psycopg_pool ``check``)."""

    def check() -> None:
        threading.Thread(target=pool.check, name="pool-check", daemon=True).start()

    return check


def create_app(container: Container, *, runtime: Runtime | None = None,
               settle: bool = False) -> Litestar:
    settings = container.settings()
    contacts = ContactHandlers(container.register_contact(), container.change_contact_details(),
                               container.change_contact_consent(), container.contact_queries(),
                               container.erase_contact(), container.contact_export(),
                               container.memory_search())
    leads = LeadHandlers(
        capture=container.capture_lead(), import_leads=container.import_leads(),
        assign=container.assign_lead(), contact=container.record_lead_contact(),
        score=container.score_lead(), qualify=container.qualify_lead(),
        schedule_follow_up=container.schedule_follow_up(),
        complete_follow_up=container.complete_follow_up(), convert=container.convert_lead(),
        lose=container.lose_lead(), reopen=container.reopen_lead(),
        queries=container.lead_queries())
    cases = CaseHandlers(
        open=container.open_case(), quote=container.issue_quote(),
        accept=container.accept_quote(), invoice=container.issue_invoice(),
        payment_link=container.create_payment_link(), payment=container.record_payment(),
        refund=container.refund_payment(), complete=container.complete_case(),
        cancel=container.cancel_case(), queries=container.case_queries(),
        proposals=container.proposal_renderer())
    analytics = AnalyticsQueries(ltv=container.ltv_queries())
    stripe = StripeHooks(container.stripe_webhooks(), container.record_provider_payment(),
                         container.record_provider_refunds(),
                         container.record_provider_dispute())
    identity = IdentityHandlers(container.provision_tenant(), container.authenticate(),
                                settings.admin_api_token, settings.trust_forwarded_for)
    gate = AccessGate(container.database().app_url)  # one per app: its pool is on its loop
    access = AccessHandlers(container.users(), container.api_keys(),
                            container.access_directory(), gate,
                            SqlAuditQueries(container.reader()), settings.trust_forwarded_for)
    reads = ReadSide(container.consistency(), container.event_store(),
                     settings.read_your_writes_timeout)
    health = HealthChecks(container.app_pool(), container.projection_manager(),
                          container.vendor_circuits())
    # After a database error, every pool the API reads through drops its broken connections.
    pool_checks = [_pool_checker(container.app_pool()), _pool_checker(container.worker_pool()),
                   gate.check_soon]
    unwatch: list[Callable[[], None]] = []
    counters = RedisCounters(settings.redis_url) if settings.redis_url else None
    hit = counters.hit if counters is not None else gate.hit
    refusals = refusal_counter(hit, per_ip=settings.rate_limit_per_ip,
                               trust_forwarded=settings.trust_forwarded_for)
    auth = type("Authentication", (TokenAuthentication,), {
        "tokens": container.tokens(), "gate": gate, "refusals": staticmethod(refusals)})
    conversation_deps, replies = conversation_dependencies(container)
    limits = rate_limit(hit, per_ip=settings.rate_limit_per_ip,
                        per_tenant=settings.rate_limit_per_tenant,
                        trust_forwarded=settings.trust_forwarded_for)

    async def open_gate() -> None:
        await gate.open()

    async def close_gate() -> None:
        await gate.close()
        if counters is not None:
            await counters.close()

    def watch() -> None:
        unwatch.append(PROJECTION_LAG.watch(
            partial(container.projection_manager().status, timeout=PROBE_TIMEOUT)))
        ON_DATABASE_ERROR.extend(pool_checks)

    def unwatch_all() -> None:
        while unwatch:
            unwatch.pop()()
        for check in pool_checks:
            if check in ON_DATABASE_ERROR:
                ON_DATABASE_ERROR.remove(check)

    def started() -> None:
        if runtime is not None:
            runtime.start()
        if container.tenants().count() == 0:
            log.warning("no tenant yet: create one with `frontdesk tenants create --name "
                        "'Bright Smile Clinic' --slug bright-smile --admin-email "
                        "owner@bright.example` or POST /v1/admin/tenants with ADMIN_API_TOKEN")
        if settle:  # last: what start-up built stays for good (ADR 0056)
            log.info("start-up objects frozen: %d", settle_heap())
        process_serving()

    def stopped() -> None:
        replies.wait_idle(timeout=30)  # answers being generated are stored before we go
        if runtime is not None:
            runtime.stop()
        process_exiting()

    cors = None
    if settings.cors_origins.strip():
        cors = CORSConfig(allow_origins=[o.strip() for o in settings.cors_origins.split(",")],
                          allow_headers=["Authorization", "Content-Type", "Idempotency-Key",
                                         "If-Match", "X-Request-ID",
                                         "X-Frontdesk-Min-Position"],
                          expose_headers=["ETag", "X-Request-ID", "X-Frontdesk-Position",
                                          "X-Frontdesk-Consistency"])
    app = Litestar(
        route_handlers=[HealthController, MetricsController, AdminController, AuthController,
                        ContactsController, LeadsController, UsersController,
                        ApiKeysController, AuditController, CasesController,
                        AnalyticsController, StripeWebhooksController, *conversation_routes,
                        *contact_center_api.CONTROLLERS],
        dependencies={"bus": Constant(container.bus()), "contacts": Constant(contacts),
                      "leads": Constant(leads), "identity": Constant(identity),
                      "reads": Constant(reads), "health": Constant(health),
                      "access": Constant(access), "cases": Constant(cases),
                      "analytics": Constant(analytics), "stripe": Constant(stripe),
                      **{name: Constant(v) for name, v in conversation_deps.items()},
                      **contact_center_api.dependencies(container)},
        middleware=[DefineMiddleware(auth, exclude=["^/schema"], exclude_from_auth_key="public"),
                    limits, require_roles],
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[open_gate, watch, started],
        on_shutdown=[stopped, unwatch_all, close_gate],
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
                                             description="ADMIN_API_TOKEN"),
                "ApiKey": SecurityScheme(type="http", scheme="bearer",
                                         description="An API key (`fdk_…`) from "
                                                     "POST /v1/api-keys")}),
            security=[{"BearerToken": []}, {"ApiKey": []}],
            tags=[Tag(name="leads", description="The lead pipeline"),
                  Tag(name="cases", description="Quotes, invoices, payments, refunds"),
                  Tag(name="analytics", description="Lifetime value, live or as of a moment"),
                  Tag(name="contacts", description="People (data subjects)"),
                  Tag(name="conversations", description="Conversations, AI replies, hand-off"),
                  Tag(name="assistant", description="Knowledge base, assistant settings, AI "
                                                    "usage"),
                  Tag(name="webhooks", description="Signed callbacks: Stripe, Twilio, inbound "
                                                   "email"),
                  contact_center_api.TAG,
                  Tag(name="auth"), Tag(name="admin"), Tag(name="health"),
                  Tag(name="access", description="Users, roles and API keys"),
                  Tag(name="audit", description="Who did what, when, from where")]),
        debug=False,
        logging_config=None,
        type_encoders={BaseModel: _as_json},
    )
    document_problems(app)
    resolve_constants_in_line(app)
    # Request id, security headers, access log and request metrics around everything the app
    # answers, routing included: as route middleware they missed the 404s and 405s of
    # unknown routes and methods, which the router answers before any route's middleware.
    app.asgi_handler = request_context(app.asgi_handler)
    return app
