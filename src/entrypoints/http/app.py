"""The Litestar application: the edge every request crosses (authentication, rate limits,
roles, problems), then one router per bounded context (``SLICES``)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from os import PathLike
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.opentelemetry import OpenTelemetryConfig
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Scope
from opentelemetry.trace import Span
from pydantic import BaseModel

from adapters.identity.gate import AccessGate
from adapters.identity.redis_counters import RedisCounters
from adapters.observability.service import PROJECTION_LAG, process_exiting, process_serving
from adapters.observability.tracing import Tracing, without_query
from adapters.postgres.circuit import DatabaseCircuit, reach
from adapters.postgres.health import PROBE_TIMEOUT
from entrypoints.container import Container
from entrypoints.http import (
    analytics,
    cases,
    console,
    contact_center,
    conversations,
    identity,
    knowledge,
    leads,
    operations,
    privacy,
    streams,
    viewer,
    webchat,
    webhooks_out,
)
from entrypoints.http.bodies import StrictJsonBodies
from entrypoints.http.circuit import refuse_while_unreachable
from entrypoints.http.deps import Constant, ReadSide, resolve_constants_in_line
from entrypoints.http.middleware import answer_options, request_context
from entrypoints.http.openapi import (
    API_VERSION,
    document_files,
    document_problems,
    document_roles,
    publish_exact_contract,
)
from entrypoints.http.problems import DATABASE_CIRCUIT, EXCEPTION_HANDLERS
from entrypoints.http.ratelimit import rate_limit, refusal_counter
from entrypoints.http.schemas import In
from entrypoints.http.security import CONSOLE, TokenAuthentication, require_roles
from entrypoints.http.slices import Slice
from entrypoints.runtime import Runtime, settle_heap
from entrypoints.settings import Settings

log = logging.getLogger("frontdesk")

SLICES: Sequence[Slice] = (
    operations.SLICE, identity.SLICE, leads.SLICE, privacy.SLICE, knowledge.SLICE, cases.SLICE,
    console.SLICE,
    conversations.SLICE, contact_center.SLICE, analytics.SLICE,
    webhooks_out.SLICE, streams.SLICE, webchat.SLICE)

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
    """An answer model encoded once, by pydantic, to JSON bytes that msgspec copies (ADR 0063)."""
    return msgspec.Raw(model.__pydantic_serializer__.to_json(model))


@dataclass
class Edge:
    """What every request crosses before a route: the access gate (revocations, API keys),
    authentication, rate limits; and the database's circuit, which answers 503 at once while
    the database is unreachable and refreshes the pools when it is back (ADR 0073)."""

    gate: AccessGate
    authentication: type[TokenAuthentication]
    limits: Any
    counters: RedisCounters | None
    circuit: DatabaseCircuit

    @classmethod
    def of(cls, container: Container, settings: Settings, *, background: bool) -> Edge:
        """``background``: this process runs the runtime too, and so holds the worker's pool
        (an API-only process never opens it, ADR 0072)."""
        gate = AccessGate(container.database().app_url)  # one per app: its pool is on its loop
        counters = RedisCounters(settings.redis_url) if settings.redis_url else None
        hit = counters.hit if counters is not None else gate.hit
        refusals = refusal_counter(hit, per_ip=settings.rate_limit_per_ip,
                                   trust_forwarded=settings.trust_forwarded_for)
        authentication = type("Authentication", (TokenAuthentication,), {
            "tokens": container.identity.tokens(), "gate": gate,
            "refusals": staticmethod(refusals)})
        limits = rate_limit(hit, per_ip=settings.rate_limit_per_ip,
                            per_tenant=settings.rate_limit_per_tenant,
                            trust_forwarded=settings.trust_forwarded_for,
                            widget_per_ip=settings.rate_limit_widget_per_ip,
                            per_widget_key=settings.rate_limit_per_widget_key)
        # A trial connects afresh; then the pools drop the connections the outage broke, and
        # the event writer's held connection is checked before the next write. The worker's
        # pool only where this process runs the background work (ADR 0072).
        checks = [container.app_pool().check, gate.check, container.recorder().recheck_writer]
        if background:
            checks.append(container.worker_pool().check)
        circuit = DatabaseCircuit(partial(reach, container.database().app_url), checks)
        return cls(gate, authentication, limits, counters, circuit)

    async def open(self) -> None:
        await self.gate.open()

    async def close(self) -> None:
        self.circuit.stop()
        await self.gate.close()
        if self.counters is not None:
            await self.counters.close()


def _provided(slices: Sequence[Slice], container: Container) -> dict[str, Provide]:
    """What the slices' routes receive, by parameter name. Two slices may name one collaborator
    (the same object); one name for two different objects is a wiring error."""
    values: dict[str, object] = {}
    for piece in slices:
        for name, value in piece.provide(container).items():
            if name in values and values[name] is not value:
                raise ValueError(f"{piece.name}: {name!r} is already another slice's")
            values[name] = value
    return {name: value if isinstance(value, Provide) else Constant(value)
            for name, value in values.items()}


def _problems(slices: Sequence[Slice]) -> dict[Any, Any]:
    handlers = dict(EXCEPTION_HANDLERS)
    for piece in slices:
        twice = handlers.keys() & piece.problems.keys()
        if twice:
            raise ValueError(f"{piece.name}: errors mapped twice: {sorted(map(str, twice))}")
        handlers.update(piece.problems)
    return handlers


def _tags(slices: Sequence[Slice]) -> list[Tag]:
    tags: dict[str, Tag] = {}
    for piece in slices:
        for tag in piece.tags:
            if tag.name in tags:
                raise ValueError(f"{piece.name}: tag {tag.name!r} is described twice")
            tags[tag.name] = tag
    return sorted(tags.values(), key=lambda tag: tag.name)


def _cors(settings: Settings) -> CORSConfig | None:
    if not settings.cors_origins.strip():
        return None
    return CORSConfig(allow_origins=[o.strip() for o in settings.cors_origins.split(",")],
                      allow_headers=["Authorization", "Content-Type", "Idempotency-Key",
                                     "If-Match", "X-Request-ID", "X-Frontdesk-Min-Position"],
                      expose_headers=["ETag", "X-Request-ID", "X-Frontdesk-Position",
                                      "X-Frontdesk-Consistency"])


def _csrf(settings: Settings) -> CSRFConfig:
    """Double-submit CSRF tokens for the console's forms and htmx requests. The API takes no
    cookie (a bearer header only), so it is left out."""
    secret = hashlib.sha256(b"frontdesk csrf\0" + settings.jwt_secret.encode()).hexdigest()
    return CSRFConfig(secret=secret, cookie_name="fd_csrf", cookie_path=CONSOLE,
                      cookie_httponly=True, cookie_samesite="strict",
                      cookie_secure=settings.env == "production",
                      exclude=["^/v1/", "^/health", "^/metrics", "^/schema", "^/widget/",
                               "^/paid"])


def _templates(slices: Sequence[Slice]) -> TemplateConfig[JinjaTemplateEngine] | None:
    directories: list[Path | PathLike[Any] | str] = [
        piece.templates for piece in slices if piece.templates is not None]
    if not directories:
        return None
    return TemplateConfig(directory=directories, engine=JinjaTemplateEngine)


def _openapi(slices: Sequence[Slice]) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Frontdesk API", version=API_VERSION, description=DESCRIPTION, path="/schema",
        render_plugins=[viewer.SwaggerViewer()],
        components=Components(security_schemes={
            "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT",
                                          description="From POST /v1/auth/login"),
            "AdminToken": SecurityScheme(type="http", scheme="bearer",
                                         description="ADMIN_API_TOKEN"),
            "ApiKey": SecurityScheme(type="http", scheme="bearer",
                                     description="An API key (`fdk_…`) from POST /v1/api-keys")}),
        security=[{"BearerToken": []}, {"ApiKey": []}], tags=_tags(slices))


def _span_details(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The server span's first name: the method alone (the route is not known before the
    router ran; ``request_context`` renames the span to ``METHOD /route/{template}``)."""
    return str(scope.get("method") or scope["type"]), {}


def _server_request(span: Span, scope: dict[str, Any]) -> None:
    without_query(span)


def traced(handler: ASGIApp, tracing: Tracing | None) -> ASGIApp:
    """Litestar's OpenTelemetry middleware around everything the app answers (ADR 0083):
    outside the request context, so that the access-log line, the request id and the
    database circuit's 503s are inside the server span. (``OpenTelemetryPlugin`` would put it
    inside the app's handler, where the access-log line is already outside it.) Probes and
    scrapes (``/health``, ``/metrics``) are not traced; no query string is recorded."""
    if tracing is None:
        return handler
    config = OpenTelemetryConfig(
        tracer_provider=tracing.provider, exclude=["^/health", "^/metrics"],
        exclude_spans=["receive", "send"], scope_span_details_extractor=_span_details,
        server_request_hook_handler=_server_request)
    return config.middleware(app=handler)


def create_app(container: Container, *, runtime: Runtime | None = None,
               settle: bool = False, slices: Sequence[Slice] = SLICES) -> Litestar:
    settings = container.settings()
    edge = Edge.of(container, settings, background=runtime is not None)
    reads = ReadSide(container.consistency(), container.event_store(),
                     settings.read_your_writes_timeout,
                     trail=container.identity.access_directory(),
                     trust_forwarded=settings.trust_forwarded_for)
    unwatch: list[Callable[[], None]] = []

    def watch() -> None:
        unwatch.append(PROJECTION_LAG.watch(
            partial(container.projection_manager().status, timeout=PROBE_TIMEOUT)))

    def unwatch_all() -> None:
        while unwatch:
            unwatch.pop()()

    def started() -> None:
        if runtime is not None:
            runtime.start()
        if container.identity.tenants().count() == 0:
            log.warning("no tenant yet: create one with `frontdesk tenants create --name "
                        "'Bright Smile Clinic' --slug bright-smile --admin-email "
                        "owner@bright.example` or POST /v1/admin/tenants with ADMIN_API_TOKEN")
        if settle:  # last: what start-up built stays for good (ADR 0056)
            log.info("start-up objects frozen: %d", settle_heap())
        process_serving()

    def stopped() -> None:
        for piece in slices:
            if piece.stop is not None:
                piece.stop(container)
        if runtime is not None:
            runtime.stop()
        process_exiting()

    app = Litestar(
        route_handlers=[*(handler for piece in slices
                          for handler in (*piece.controllers, *piece.files(container))),
                        *viewer.routers(settings.assets_dir)],
        dependencies={"bus": Constant(container.bus()), "reads": Constant(reads),
                      "gate": Constant(edge.gate), **_provided(slices, container)},
        middleware=[answer_options, DefineMiddleware(edge.authentication, exclude=["^/schema"],
                                     exclude_from_auth_key="public"),
                    edge.limits, require_roles],
        exception_handlers=_problems(slices),
        on_startup=[edge.open, watch, started],
        on_shutdown=[stopped, unwatch_all, edge.close],
        request_max_body_size=settings.max_body_bytes,
        cors_config=_cors(settings),
        csrf_config=_csrf(settings),
        template_config=_templates(slices),
        openapi_config=_openapi(slices),
        debug=False,
        logging_config=None,
        type_encoders={BaseModel: _as_json},
        plugins=[StrictJsonBodies()],
        state=State({DATABASE_CIRCUIT: edge.circuit}),
    )
    document_problems(app)
    document_roles(app)
    document_files(app)
    publish_exact_contract(app, In.every())  # last: it edits the document as served
    resolve_constants_in_line(app)
    # Request id, security headers, access log and metrics around everything the app answers,
    # the router's own 404s and 405s included; inside it, the database's circuit.
    # Around it all, the server span when traced (ADR 0083).
    app.asgi_handler = traced(request_context(
        refuse_while_unreachable(edge.circuit, app.asgi_handler),
        hsts_seconds=settings.hsts_seconds), container.tracing())
    return app
