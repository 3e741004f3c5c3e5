"""Provision a tenant with its first admin; authenticate a user (same answer for every miss)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from application.identity.access import (
    AccessDirectory,
    AuthEvent,
    LoginThrottle,
    Origin,
    TooManyAttempts,
)
from application.identity.ports import (
    PasswordHasher,
    TenantDirectory,
    TenantRecord,
    TokenIssuer,
    UserRecord,
)
from domain.shared import DomainError, Email, InvalidValue
from domain.shared.ids import new_id

if TYPE_CHECKING:
    from application.identity.sessions import Sessions
    from application.identity.totp import SecondFactor

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MIN_PASSWORD = 10


@dataclass(frozen=True, slots=True)
class ProvisionTenant:
    name: str
    slug: str
    admin_email: str
    admin_password: str


@dataclass(frozen=True, slots=True)
class ProvisionedTenant:
    id: UUID
    slug: str
    name: str
    admin_user_id: UUID


class ProvisionTenantHandler:
    def __init__(self, tenants: TenantDirectory, hasher: PasswordHasher) -> None:
        self._tenants, self._hasher = tenants, hasher

    def __call__(self, command: ProvisionTenant) -> ProvisionedTenant:
        name = command.name.strip()
        if not 1 <= len(name) <= 200:
            raise InvalidValue("name", "must be 1-200 characters")
        if not _SLUG.match(command.slug):
            raise InvalidValue("slug", "must be 1-63 characters of a-z, 0-9 and '-'")
        email = Email(command.admin_email)
        if len(command.admin_password) < MIN_PASSWORD:
            raise InvalidValue("admin_password", f"must be at least {MIN_PASSWORD} characters")
        tenant = TenantRecord(id=new_id(), slug=command.slug, name=name,
                              settings={"stale_after_seconds": 24 * 3600})
        admin = UserRecord(id=new_id(), tenant_id=tenant.id, email=email.value,
                           password_hash=self._hasher.hash(command.admin_password),
                           roles=("admin",))
        self._tenants.create(tenant, admin)
        return ProvisionedTenant(tenant.id, tenant.slug, tenant.name, admin.id)


class InvalidCredentials(DomainError):
    code = "invalid-credentials"


class SecondFactorRequired(InvalidCredentials):
    """HTTP 401: the password was right; send it again with ``totp_code`` (ADR 0081)."""

    code = "totp-required"


class InvalidTotpCode(InvalidCredentials):
    """HTTP 401: the TOTP code is wrong, or was used already (counted like a wrong
    password)."""

    code = "invalid-totp-code"


class EnrolmentRequired(DomainError):
    """HTTP 403: the tenant requires admins to use TOTP and this one has not turned it on;
    the problem carries ``enrolment_token``, good for the enrolment routes only."""

    code = "totp-enrolment-required"


@dataclass(frozen=True, slots=True)
class Authenticate:
    tenant: str
    email: str
    password: str
    ip: str | None = None
    user_agent: str | None = None
    totp_code: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    refresh_token: str | None = None
    refresh_expires_in: int | None = None


class AuthenticateHandler:
    """Any mismatch (tenant, email, password, disabled user) gives the same error, after the
    same password-hashing work, so a caller cannot probe which part was wrong. Failures are
    throttled per account and per IP; every attempt on a known tenant is an auth event.
    A password hash made with other parameters than the current ones is replaced by a current
    one at a successful login (the only time the password is at hand). With ``sessions``, a
    login also opens a refresh family (ADR 0079). With ``second_factor``, a user with TOTP on
    also needs a current code, a wrong or used one counted like a wrong password (ADR 0081)."""

    def __init__(self, tenants: TenantDirectory, hasher: PasswordHasher,
                 tokens: TokenIssuer, throttle: LoginThrottle | None = None,
                 events: AccessDirectory | None = None,
                 sessions: Sessions | None = None,
                 second_factor: SecondFactor | None = None) -> None:
        self._tenants, self._hasher, self._tokens = tenants, hasher, tokens
        self._throttle, self._events, self._sessions = throttle, events, sessions
        self._second_factor = second_factor
        self._decoy = hasher.hash("decoy password for missing users")

    def __call__(self, command: Authenticate) -> IssuedToken:
        email = command.email.strip().lower()
        origin = Origin(command.ip, (command.user_agent or "")[:300] or None)
        tenant = self._tenants.by_slug(command.tenant)
        if self._throttle is not None:
            try:
                self._throttle.check(command.tenant, email, command.ip)
            except TooManyAttempts:
                self._record(tenant, "login.throttled", None, email, origin)
                raise
        user = None
        if tenant is not None:
            user = self._tenants.user_by_email(tenant.id, email)
        valid = self._hasher.verify(user.password_hash if user else self._decoy,
                                    command.password)
        if tenant is None or user is None or user.disabled or not valid:
            if self._throttle is not None:
                self._throttle.failed(command.tenant, email, command.ip)
            self._record(tenant, "login.failed", user.id if user else None, email, origin)
            raise InvalidCredentials("invalid tenant, email or password")
        if self._second_factor is not None:
            try:
                self._second_factor.at_login(tenant, user, command.totp_code)
            except InvalidTotpCode:
                if self._throttle is not None:
                    self._throttle.failed(command.tenant, email, command.ip)
                self._record(tenant, "login.failed", user.id, email, origin,
                             {"reason": "totp_code"})
                raise
            except EnrolmentRequired:
                self._record(tenant, "login.totp_enrolment_required", user.id, email, origin)
                raise
        if self._throttle is not None:
            self._throttle.succeeded(command.tenant, email)
        self._record(tenant, "login.succeeded", user.id, email, origin)
        if self._events is not None and self._hasher.needs_rehash(user.password_hash):
            self._events.update_user(
                tenant.id, user.id, {"password_hash": self._hasher.hash(command.password)},
                False, AuthEvent(tenant.id, f"user:{user.id}", "user.password_rehashed", "user",
                                 str(user.id), origin))
        if self._sessions is not None:
            session = self._sessions.open(tenant.id, user.id, user.roles)
            return IssuedToken(session.access_token, session.expires_in,
                               session.refresh_token, session.refresh_expires_in)
        token, expires_in = self._tokens.issue(tenant.id, user.id, user.roles)
        return IssuedToken(token, expires_in)

    def _record(self, tenant: TenantRecord | None, action: str, user_id: UUID | None,
                email: str, origin: Origin, detail: dict[str, str] | None = None) -> None:
        if self._events is None or tenant is None:
            return  # an unknown tenant has no audit log to write to (the request log has it)
        actor = f"user:{user_id}" if user_id else "anonymous"
        self._events.record(AuthEvent(tenant.id, actor, action, "user",
                                      str(user_id) if user_id else None, origin,
                                      detail or ({} if user_id
                                                 else {"email_attempted": email[:200]})))
