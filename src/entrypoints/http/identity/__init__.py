"""Identity and access: tenant provisioning, login, users, API keys and the audit log."""

from __future__ import annotations

from litestar.di import Provide
from litestar.openapi.spec import Tag

from application.identity.access import Origin
from entrypoints.container import Container
from entrypoints.http.deps import Req
from entrypoints.http.identity.access import ApiKeysController, UsersController
from entrypoints.http.identity.admin import AdminController
from entrypoints.http.identity.audit import AuditController
from entrypoints.http.identity.auth import AuthController
from entrypoints.http.ratelimit import client_ip
from entrypoints.http.slices import Slice


def origin_of(trust_forwarded: bool) -> Provide:
    """Where each request came from (kept with authentication events and access changes)."""

    def origin(request: Req) -> Origin:
        agent = request.headers.get("user-agent")
        return Origin(client_ip(request.scope, trust_forwarded), agent[:300] if agent else None)

    return Provide(origin, sync_to_thread=False)


def _provide(root: Container) -> dict[str, object]:
    settings, identity = root.settings(), root.identity
    return {"provision_tenant": identity.provision_tenant(),
            "admin_token": settings.admin_api_token,
            "authenticate": identity.authenticate(),
            "origin": origin_of(settings.trust_forwarded_for),
            "users": identity.users(), "api_keys": identity.api_keys(),
            "directory": identity.access_directory(), "audit": identity.audit_queries()}


SLICE = Slice(
    "identity",
    [AuthController, AdminController, UsersController, ApiKeysController, AuditController],
    [Tag(name="auth"), Tag(name="admin"),
     Tag(name="access", description="Users, roles and API keys"),
     Tag(name="audit", description="Who did what, when, from where")],
    provide=_provide)
