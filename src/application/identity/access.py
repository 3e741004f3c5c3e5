"""Users, roles, API keys and login throttling (SPEC §3.8). Plain records, not event-sourced:
every change is written together with an authentication event for the audit log."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from application.identity.ports import ROLES, PasswordHasher
from domain.ports import Clock
from domain.shared import Conflict, DomainError, Email, InvalidValue, NotFound
from domain.shared.ids import new_id

MIN_PASSWORD = 10
KEY_PREFIX = "fdk_"
MAX_KEY_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from (kept with authentication events)."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class AuthEvent:
    tenant_id: UUID
    actor: str
    action: str
    resource_type: str
    resource_id: str | None
    origin: Origin = Origin()
    detail: dict[str, Any] = field(default_factory=dict)
    id: UUID = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class UserView:
    id: UUID
    email: str
    display_name: str | None
    roles: tuple[str, ...]
    disabled: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    id: UUID
    prefix: str
    name: str
    roles: tuple[str, ...]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewApiKey:
    view: ApiKeyView
    key: str  # shown once


class TooManyAttempts(DomainError):
    """HTTP 429: slow down; ``retry_after`` seconds."""

    code = "too-many-attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class LastAdmin(Conflict):
    code = "last-admin"


class EmailTaken(Conflict):
    code = "email-taken"


class AccessLog(Protocol):
    """Where access events go: logins, changes of users and keys, and reads of personal data,
    provisioning and settings changes, each with where the request came from."""

    def record(self, event: AuthEvent) -> None: ...


class AccessDirectory(Protocol):
    """Users and keys of a tenant; each change is stored with its AuthEvent atomically."""

    def add_user(self, tenant_id: UUID, user_id: UUID, email: str, password_hash: str,
                 roles: tuple[str, ...], display_name: str | None, event: AuthEvent) -> None:
        """EmailTaken when the tenant already has this email."""
        ...

    def update_user(self, tenant_id: UUID, user_id: UUID, changes: dict[str, Any],
                    revoke_tokens: bool, event: AuthEvent,
                    revoke_keys_of: str | None = None) -> None:
        """``revoke_keys_of``: an actor (``user:<id>``) whose API keys are revoked in the same
        transaction, with the keys those keys created, each with an ``api_key.revoked``
        event by the event's actor."""
        ...

    def user(self, tenant_id: UUID, user_id: UUID) -> UserView | None: ...

    def users(self, tenant_id: UUID) -> list[UserView]: ...

    def add_key(self, tenant_id: UUID, key: ApiKeyView, secret_hash: bytes,
                event: AuthEvent) -> None: ...

    def revoke_key(self, tenant_id: UUID, key_id: UUID, at: datetime,
                   event: AuthEvent) -> bool: ...

    def keys(self, tenant_id: UUID) -> list[ApiKeyView]: ...

    def record(self, event: AuthEvent) -> None:
        """An authentication event on its own (a login)."""
        ...


class Counters(Protocol):
    """Fixed-window counters shared by every process (rate limits, throttling)."""

    def peek(self, keys: list[str], window: int) -> dict[str, tuple[int, int]]:
        """key -> (hits in the current window, seconds until it ends)."""
        ...

    def hit(self, keys: list[str], window: int) -> None: ...

    def clear(self, key: str, window: int) -> None: ...


def _roles(values: list[str] | tuple[str, ...], field_name: str = "roles") -> tuple[str, ...]:
    roles = tuple(sorted(set(values)))
    if not roles:
        raise InvalidValue(field_name, "at least one role is required")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise InvalidValue(field_name, f"unknown roles: {', '.join(sorted(unknown))}; "
                                       f"known: {', '.join(ROLES)}")
    return roles


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD:
        raise InvalidValue("password", f"must be at least {MIN_PASSWORD} characters")
    if len(value) > 1024:
        raise InvalidValue("password", "must be at most 1024 characters")
    return value


# -- users ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CreateUser:
    email: str
    password: str
    roles: tuple[str, ...]
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateUser:
    user_id: UUID
    roles: tuple[str, ...] | None = None
    disabled: bool | None = None
    password: str | None = None
    display_name: str | None = None


class UserAdministration:
    def __init__(self, directory: AccessDirectory, hasher: PasswordHasher) -> None:
        self._directory, self._hasher = directory, hasher

    def create(self, tenant_id: UUID, actor: str, origin: Origin,
               command: CreateUser) -> UserView:
        email = Email(command.email).value
        roles = _roles(command.roles)
        name = (command.display_name or "").strip() or None
        user_id = new_id()
        self._directory.add_user(
            tenant_id, user_id, email, self._hasher.hash(_password(command.password)), roles,
            name, AuthEvent(tenant_id, actor, "user.created", "user", str(user_id), origin,
                            {"roles": list(roles)}))
        created = self._directory.user(tenant_id, user_id)
        assert created is not None
        return created

    def update(self, tenant_id: UUID, actor: str, origin: Origin,
               command: UpdateUser) -> UserView:
        current = self._directory.user(tenant_id, command.user_id)
        if current is None:
            raise NotFound("user not found")
        changes: dict[str, Any] = {}
        if command.roles is not None:
            changes["roles"] = list(_roles(command.roles))
        if command.disabled is not None:
            changes["disabled"] = command.disabled
        if command.password is not None:
            changes["password_hash"] = self._hasher.hash(_password(command.password))
        if command.display_name is not None:
            changes["display_name"] = command.display_name.strip() or None
        loses_admin = "admin" in current.roles and not current.disabled and (
            changes.get("disabled") is True
            or ("roles" in changes and "admin" not in changes["roles"]))
        if loses_admin:
            admins = [u for u in self._directory.users(tenant_id)
                      if "admin" in u.roles and not u.disabled and u.id != current.id]
            if not admins:
                raise LastAdmin("a tenant keeps at least one enabled admin")
        revoke = bool({"roles", "disabled", "password_hash"} & changes.keys())
        detail = {k: v for k, v in changes.items() if k != "password_hash"}
        if "password_hash" in changes:
            detail["password_changed"] = True
        if changes:
            # Keys are created by admins: one who is no longer an enabled admin keeps none.
            self._directory.update_user(tenant_id, current.id, changes, revoke, AuthEvent(
                tenant_id, actor, "user.updated", "user", str(current.id), origin, detail),
                revoke_keys_of=f"user:{current.id}" if loses_admin else None)
        updated = self._directory.user(tenant_id, current.id)
        assert updated is not None
        return updated


# -- API keys ---------------------------------------------------------------------------------

def hash_secret(secret: str) -> bytes:
    """Keys carry 256 random bits: a plain SHA-256 is the right hash (no dictionary to slow)."""
    return hashlib.sha256(secret.encode()).digest()


def split_key(key: str) -> tuple[str, str] | None:
    """``fdk_<prefix>_<secret>`` -> (``fdk_<prefix>``, secret)."""
    if not key.startswith(KEY_PREFIX):
        return None
    prefix, sep, secret = key[len(KEY_PREFIX):].partition("_")
    if not sep or len(prefix) != 12 or len(secret) < 32:
        return None
    return KEY_PREFIX + prefix, secret


def key_matches(secret: str, stored_hash: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


@dataclass(frozen=True, slots=True)
class CreateApiKey:
    name: str
    roles: tuple[str, ...]
    expires_at: datetime | None = None
    expires_in_days: int | None = None


class ApiKeyAdministration:
    def __init__(self, directory: AccessDirectory, clock: Clock) -> None:
        self._directory, self._clock = directory, clock

    def create(self, tenant_id: UUID, actor: str, actor_roles: frozenset[str], origin: Origin,
               command: CreateApiKey) -> NewApiKey:
        name = command.name.strip()
        if not 1 <= len(name) <= 100:
            raise InvalidValue("name", "must be 1-100 characters")
        roles = _roles(command.roles)
        if "admin" not in actor_roles and not set(roles) <= actor_roles:
            raise InvalidValue("roles", "a key cannot hold a role its creator lacks")
        now = self._clock.now()
        expires_at = self._expiry(command, now)
        prefix = KEY_PREFIX + secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        view = ApiKeyView(id=new_id(), prefix=prefix, name=name, roles=roles, created_by=actor,
                          created_at=now, revoked_at=None, expires_at=expires_at)
        self._directory.add_key(tenant_id, view, hash_secret(secret), AuthEvent(
            tenant_id, actor, "api_key.created", "api_key", str(view.id), origin,
            {"name": name, "roles": list(roles), "prefix": prefix,
             "expires_at": expires_at.isoformat() if expires_at else None}))
        return NewApiKey(view, f"{prefix}_{secret}")

    @staticmethod
    def _expiry(command: CreateApiKey, now: datetime) -> datetime | None:
        """A key expires at a given time or after a number of days, or never (neither)."""
        if command.expires_at is not None and command.expires_in_days is not None:
            raise InvalidValue("expires_at", "give expires_at or expires_in_days, not both")
        if command.expires_in_days is not None:
            if not 1 <= command.expires_in_days <= MAX_KEY_DAYS:
                raise InvalidValue("expires_in_days", f"must be 1-{MAX_KEY_DAYS}")
            return now + timedelta(days=command.expires_in_days)
        if command.expires_at is not None:
            if command.expires_at.tzinfo is None:
                raise InvalidValue("expires_at", "needs a time zone")
            if command.expires_at <= now:
                raise InvalidValue("expires_at", "must be in the future")
            if command.expires_at > now + timedelta(days=MAX_KEY_DAYS):
                raise InvalidValue("expires_at", f"must be within {MAX_KEY_DAYS} days")
        return command.expires_at

    def revoke(self, tenant_id: UUID, actor: str, origin: Origin, key_id: UUID) -> None:
        if not self._directory.revoke_key(tenant_id, key_id, self._clock.now(), AuthEvent(
                tenant_id, actor, "api_key.revoked", "api_key", str(key_id), origin)):
            raise NotFound("API key not found")


# -- login throttling -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    window_seconds: int = 900
    per_account: int = 5
    per_ip: int = 50


class LoginThrottle:
    """Failed logins are counted per account (tenant + email) and per IP in fixed windows;
    at the limit, further attempts answer 429 until the window ends (even with the right
    password). A success clears the account's count."""

    def __init__(self, counters: Counters, policy: ThrottlePolicy = ThrottlePolicy()) -> None:
        self._counters, self._policy = counters, policy

    def _keys(self, tenant: str, email: str, ip: str | None) -> dict[str, int]:
        account = hashlib.sha256(f"{tenant}\x00{email}".encode()).hexdigest()[:32]
        limits = {f"login:account:{account}": self._policy.per_account}
        if ip:
            limits[f"login:ip:{ip}"] = self._policy.per_ip
        return limits

    def check(self, tenant: str, email: str, ip: str | None) -> None:
        limits = self._keys(tenant, email, ip)
        counts = self._counters.peek(list(limits), self._policy.window_seconds)
        waits = [left for key, (hits, left) in counts.items() if hits >= limits[key]]
        if waits:
            raise TooManyAttempts("too many failed logins; try again later",
                                  retry_after=max(1, max(waits)))

    def failed(self, tenant: str, email: str, ip: str | None) -> None:
        self._counters.hit(list(self._keys(tenant, email, ip)), self._policy.window_seconds)

    def succeeded(self, tenant: str, email: str) -> None:
        for key in self._keys(tenant, email, None):
            self._counters.clear(key, self._policy.window_seconds)
