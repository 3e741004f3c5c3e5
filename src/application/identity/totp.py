"""A second factor at login: time-based one-time codes, RFC 6238 (ADR 0081).

A user starts enrolment (a new secret, shown once with its ``otpauth://`` URI), then confirms
it with a current code, which turns the factor on; from then on a login needs a code besides
the password. A code is good for its 30-second step and one step either side, and once: each
accepted code records its step, and a code of that step or an earlier one is refused after.
The user turns the factor off with a current code; an admin removes another user's (a lost
phone), audited. With the tenant's ``admins_require_totp`` on, an admin without the factor
gets no session at login, only an enrolment token that can call the enrolment routes.

Secrets are plain records, sealed at rest by the store; every change is written with its
authentication event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

from application.identity.access import AccessDirectory, AuthEvent, LoginThrottle, Origin
from application.identity.handlers import EnrolmentRequired, InvalidTotpCode, SecondFactorRequired
from application.identity.ports import TenantRecord, TokenIssuer, UserRecord
from domain.ports import Clock
from domain.shared import Conflict, InvalidValue, NotFound, RuleViolated

ISSUER = "Frontdesk"
ENROLMENT_SCOPE = "totp-enrolment"
"""The scope of a token that may only call the enrolment routes."""
ENROLMENT_TOKEN_SECONDS = 600
REQUIRE_SETTING = "admins_require_totp"
"""The tenant setting (``tenants.settings``) that makes admins use the factor."""


class OneTimeCodes(Protocol):
    """The TOTP algorithm (RFC 6238: SHA-1, six digits, 30-second steps)."""

    def new_secret(self) -> str:
        """A new random secret in base32 (160 bits, 32 characters)."""
        ...

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        """The ``otpauth://totp/...`` URI an authenticator app reads (as a QR code)."""
        ...

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The time step whose code ``code`` is, within one step either side of ``at``
        (compared in constant time); None when it matches none."""
        ...


@dataclass(frozen=True, slots=True)
class StoredFactor:
    status: Literal["pending", "enabled"]
    secret: str
    last_step: int | None
    created_at: datetime
    enabled_at: datetime | None


class FactorStore(Protocol):
    """Each user's factor, sealed at rest; each change written with its event atomically."""

    def factor(self, tenant_id: UUID, user_id: UUID) -> StoredFactor | None: ...

    def begin(self, tenant_id: UUID, user_id: UUID, secret: str, at: datetime,
              event: AuthEvent) -> bool:
        """Store a pending secret in place of a pending one; False when one is enabled."""
        ...

    def enable(self, tenant_id: UUID, user_id: UUID, secret: str, step: int, at: datetime,
               event: AuthEvent) -> bool:
        """Turn on the pending factor whose secret is ``secret``, recording ``step`` as used;
        False when it is no longer that pending one."""
        ...

    def use_step(self, tenant_id: UUID, user_id: UUID, step: int) -> bool:
        """Record ``step`` as used if it is later than the last one used, atomically (of two
        logins with the same code one wins); False otherwise."""
        ...

    def remove(self, tenant_id: UUID, user_id: UUID, event: AuthEvent) -> bool:
        """Delete the user's factor (pending or enabled); False when there was none."""
        ...

    def admins_required(self, tenant_id: UUID) -> bool:
        """The tenant's ``admins_require_totp`` setting."""
        ...

    def require_for_admins(self, tenant_id: UUID, required: bool, event: AuthEvent) -> None:
        """Set the tenant's ``admins_require_totp``, with its event."""
        ...


class FactorAlreadyEnabled(Conflict):
    code = "totp-already-enabled"


class FactorNotPending(Conflict):
    code = "totp-not-pending"


class FactorNotEnabled(Conflict):
    code = "totp-not-enabled"


class FactorRequiredForAdmins(RuleViolated):
    code = "totp-required-for-admins"


class OwnFactorNeedsCode(RuleViolated):
    code = "totp-own-factor-needs-code"


@dataclass(frozen=True, slots=True)
class FactorStatus:
    status: Literal["off", "pending", "enabled"]
    enabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewSecret:
    secret: str  # shown once
    otpauth_uri: str


class SecondFactor:
    """The use cases of the factor. Wrong codes at confirmation or turning off are throttled
    per user like wrong passwords (the same limits, their own counter)."""

    def __init__(self, store: FactorStore, codes: OneTimeCodes, clock: Clock,
                 directory: AccessDirectory, tokens: TokenIssuer,
                 throttle: LoginThrottle | None = None) -> None:
        self._store, self._codes, self._clock = store, codes, clock
        self._directory, self._tokens, self._throttle = directory, tokens, throttle

    def status(self, tenant_id: UUID, user_id: UUID) -> FactorStatus:
        factor = self._store.factor(tenant_id, user_id)
        if factor is None:
            return FactorStatus("off", None)
        return FactorStatus(factor.status, factor.enabled_at)

    def begin(self, tenant_id: UUID, user_id: UUID, actor: str, origin: Origin) -> NewSecret:
        user = self._directory.user(tenant_id, user_id)
        if user is None:
            raise NotFound("user not found")
        secret = self._codes.new_secret()
        if not self._store.begin(tenant_id, user_id, secret, self._clock.now(), AuthEvent(
                tenant_id, actor, "totp.enrolment_started", "user", str(user_id), origin)):
            raise FactorAlreadyEnabled("TOTP is already on; turn it off first to re-enrol")
        return NewSecret(secret, self._codes.provisioning_uri(secret, user.email, ISSUER))

    def confirm(self, tenant_id: UUID, user_id: UUID, code: str, actor: str,
                origin: Origin) -> FactorStatus:
        factor = self._store.factor(tenant_id, user_id)
        if factor is None or factor.status != "pending":
            raise FactorNotPending("no enrolment is waiting for confirmation; start one")
        step = self._checked(tenant_id, user_id, factor, code)
        at = self._clock.now()
        if not self._store.enable(tenant_id, user_id, factor.secret, step, at, AuthEvent(
                tenant_id, actor, "totp.enabled", "user", str(user_id), origin)):
            raise FactorNotPending("the enrolment changed meanwhile; start again")
        return FactorStatus("enabled", at)

    def admins_required(self, tenant_id: UUID) -> bool:
        return self._store.admins_required(tenant_id)

    def require_for_admins(self, tenant_id: UUID, required: bool, actor: str,
                           origin: Origin) -> bool:
        """Admins without the factor get only an enrolment token at login while it is on;
        their sessions already open go on until they end."""
        self._store.require_for_admins(tenant_id, required, AuthEvent(
            tenant_id, actor, "totp_policy.changed", "tenant", str(tenant_id), origin,
            {REQUIRE_SETTING: required}))
        return required

    def disable(self, tenant_id: UUID, user_id: UUID, code: str, actor: str,
                origin: Origin) -> None:
        factor = self._store.factor(tenant_id, user_id)
        if factor is None or factor.status != "enabled":
            raise FactorNotEnabled("TOTP is not on")
        user = self._directory.user(tenant_id, user_id)
        if user is not None and "admin" in user.roles and self.admins_required(tenant_id):
            raise FactorRequiredForAdmins("the tenant requires admins to use TOTP; another "
                                          "admin can remove the factor (a lost authenticator)")
        self._checked(tenant_id, user_id, factor, code)
        self._store.remove(tenant_id, user_id, AuthEvent(
            tenant_id, actor, "totp.disabled", "user", str(user_id), origin))

    def remove_for(self, tenant_id: UUID, user_id: UUID, actor: str, origin: Origin) -> None:
        """An admin removes another user's factor (a lost authenticator): the user logs in
        with the password alone, or enrols again. Not one's own: that takes a code."""
        if self._directory.user(tenant_id, user_id) is None:
            raise NotFound("user not found")
        if actor == f"user:{user_id}":
            raise OwnFactorNeedsCode("turn your own TOTP off with a code "
                                     "(POST /v1/auth/totp/disable)")
        if not self._store.remove(tenant_id, user_id, AuthEvent(
                tenant_id, actor, "totp.removed", "user", str(user_id), origin,
                {"by_admin": True})):
            raise FactorNotEnabled("the user has no TOTP factor")

    def at_login(self, tenant: TenantRecord, user: UserRecord, code: str | None) -> None:
        """After the password matched: passes when the user has no factor and needs none, or
        ``code`` is a current code of their factor not used before (its step is then recorded
        as used). SecondFactorRequired without a code, InvalidTotpCode for a wrong or used
        one, EnrolmentRequired (with an enrolment token) for an admin without the factor
        when the tenant requires it."""
        factor = self._store.factor(tenant.id, user.id)
        if factor is None or factor.status != "enabled":
            if "admin" in user.roles and tenant.settings.get(REQUIRE_SETTING) is True:
                token, expires_in = self._tokens.issue(
                    tenant.id, user.id, user.roles, scope=ENROLMENT_SCOPE,
                    lifetime=ENROLMENT_TOKEN_SECONDS)
                raise EnrolmentRequired(
                    "this tenant requires admins to use TOTP: enrol with the enrolment token "
                    "(POST /v1/auth/totp, then POST /v1/auth/totp/confirm), then log in "
                    "with a code", enrolment_token=token, expires_in=expires_in)
            return
        if not code:
            raise SecondFactorRequired("a TOTP code is required: send the password again "
                                       "with totp_code")
        step = self._codes.matching_step(factor.secret, code, self._clock.now())
        if step is None:
            raise InvalidTotpCode("the TOTP code is wrong or expired")
        if not self._store.use_step(tenant.id, user.id, step):
            raise InvalidTotpCode("this TOTP code was used already; wait for the next one")

    def _checked(self, tenant_id: UUID, user_id: UUID, factor: StoredFactor, code: str) -> int:
        account, subject = str(tenant_id), f"totp:{user_id}"
        if self._throttle is not None:
            self._throttle.check(account, subject, None)
        step = self._codes.matching_step(factor.secret, code, self._clock.now())
        if step is None or (factor.last_step is not None and step <= factor.last_step):
            if self._throttle is not None:
                self._throttle.failed(account, subject, None)
            raise InvalidValue("code", "is not a current code of the authenticator")
        if self._throttle is not None:
            self._throttle.succeeded(account, subject)
        return step
