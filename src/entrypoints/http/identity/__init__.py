"""Identity and access: tenant provisioning, login, users, API keys and the audit log."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from entrypoints.container import Container
from entrypoints.http.deps import origin_of
from entrypoints.http.identity.access import ApiKeysController, UsersController
from entrypoints.http.identity.admin import AdminController
from entrypoints.http.identity.audit import AuditController
from entrypoints.http.identity.auth import AuthController
from entrypoints.http.identity.email_secret import EmailSecretController
from entrypoints.http.slices import Slice


def _provide(root: Container) -> dict[str, object]:
    settings, identity = root.settings(), root.identity
    return {"provision_tenant": identity.provision_tenant(),
            "admin_token": settings.admin_api_token,
            "authenticate": identity.authenticate(), "sessions": identity.sessions(),
            "origin": origin_of(settings.trust_forwarded_for),
            "users": identity.users(), "api_keys": identity.api_keys(),
            "directory": identity.access_directory(), "audit": identity.audit_queries(),
            "email_secrets": identity.email_secrets()}


SLICE = Slice(
    "identity",
    [AuthController, AdminController, UsersController, ApiKeysController, AuditController,
     EmailSecretController],
    [Tag(name="auth"), Tag(name="admin"),
     Tag(name="access", description="Users, roles, API keys and the "
                                         "inbound-email secret"),
     Tag(name="audit", description="Who did what, when, from where")],
    provide=_provide)
