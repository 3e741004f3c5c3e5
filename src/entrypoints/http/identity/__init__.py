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
from entrypoints.http.identity.totp import (
    TotpController,
    TotpPolicyController,
    UserTotpController,
)
from entrypoints.http.slices import Slice


def _provide(root: Container) -> dict[str, object]:
    settings, identity = root.settings(), root.identity
    return {"provision_tenant": identity.provision_tenant(),
            "admin_token": settings.admin_api_token,
            "authenticate": identity.authenticate(), "sessions": identity.sessions(),
            "origin": origin_of(settings.trust_forwarded_for),
            "users": identity.users(), "api_keys": identity.api_keys(),
            "directory": identity.access_directory(), "audit": identity.audit_queries(),
            "email_secrets": identity.email_secrets(),
            "second_factor": identity.second_factor()}


SLICE = Slice(
    "identity",
    [AuthController, TotpController, AdminController, UsersController, UserTotpController,
     ApiKeysController, AuditController, EmailSecretController, TotpPolicyController],
    [Tag(name="auth", description="Log in (with a TOTP code when the user turned it on), "
                                  "refresh, log out; the caller's TOTP factor"),
     Tag(name="admin"),
     Tag(name="access", description="Users, roles, API keys, the inbound-email secret and "
                                    "whether admins must use TOTP"),
     Tag(name="audit", description="Who did what, when, from where")],
    provide=_provide)
