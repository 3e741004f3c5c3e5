"""Sessions (ADR 0079): a login opens a refresh family; a refresh spends its token and issues
the next one; a spent token presented again ends the family; a logout revokes its access token.

Refresh tokens are opaque (``fdr_<tenant>_<secret>``, 256 random bits) and stored as SHA-256
of the token. Each stored token records the access token issued with it, so ending a family
also revokes every access token issued from it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol
from uuid import UUID

from application.identity.access import AuthEvent, Origin
from application.identity.handlers import InvalidCredentials
from application.identity.ports import TokenIssuer
from domain.ports import Clock
from domain.shared.ids import new_id

REFRESH_PREFIX = "fdr_"
ACCESS_MARGIN = timedelta(seconds=60)
"""Kept past an access token's expiry with its revocation (the verifier's leeway is 10 s)."""


class InvalidRefreshToken(InvalidCredentials):
    code = "invalid-refresh-token"


@dataclass(frozen=True, slots=True)
class StoredRefresh:
    id: UUID
    user_id: UUID
    token_hash: bytes
    expires_at: datetime
    access_token_id: str
    access_expires_at: datetime


@dataclass(frozen=True, slots=True)
class PresentedRefresh:
    """A stored refresh token as it was when presented, and its user now."""

    family_id: UUID
    family_started_at: datetime
    user_id: UUID
    state: Literal["fresh", "spent", "revoked"]
    expires_at: datetime
    roles: tuple[str, ...]
    user_disabled: bool
    tokens_valid_after: datetime


class SessionStore(Protocol):
    def start(self, tenant_id: UUID, family_id: UUID, token: StoredRefresh) -> None:
        """Store the first refresh token of a new family (a login)."""
        ...

    def spend(self, tenant_id: UUID, token_hash: bytes) -> PresentedRefresh | None:
        """Mark the token spent if it is fresh, atomically (of two concurrent presentations
        one sees it fresh); its state before, or None for an unknown token."""
        ...

    def follow(self, tenant_id: UUID, family_id: UUID, token: StoredRefresh) -> None:
        """Store the next refresh token of a family."""
        ...

    def end_family(self, tenant_id: UUID, family_id: UUID, event: AuthEvent) -> None:
        """Revoke every refresh token of the family and every access token issued with one."""
        ...

    def revoke_access(self, tenant_id: UUID, token_id: str, expires_at: datetime,
                      event: AuthEvent) -> None:
        """Revoke one access token by its id, and end the family it was issued from."""
        ...


@dataclass(frozen=True, slots=True)
class IssuedSession:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _tenant_of(token: str) -> UUID | None:
    if not token.startswith(REFRESH_PREFIX) or len(token) < 80 or token[36:37] != "_":
        return None
    try:
        return UUID(hex=token[4:36])
    except ValueError:
        return None


class Sessions:
    def __init__(self, store: SessionStore, tokens: TokenIssuer, clock: Clock,
                 refresh_lifetime: int = 14 * 24 * 3600) -> None:
        self._store, self._tokens, self._clock = store, tokens, clock
        self.refresh_lifetime = refresh_lifetime

    def open(self, tenant_id: UUID, user_id: UUID, roles: tuple[str, ...]) -> IssuedSession:
        issued, stored = self._issue(tenant_id, user_id, roles)
        self._store.start(tenant_id, new_id(), stored)
        return issued

    def refresh(self, token: str, origin: Origin = Origin()) -> IssuedSession:
        tenant_id = _tenant_of(token)
        presented = None if tenant_id is None else self._store.spend(tenant_id, _hash(token))
        if tenant_id is None or presented is None:
            raise InvalidRefreshToken("the refresh token is invalid")
        why = self._refusal(presented)
        if why is not None:
            self._store.end_family(tenant_id, presented.family_id, AuthEvent(
                tenant_id, f"user:{presented.user_id}", f"session.{why}", "user",
                str(presented.user_id), origin, {"family": str(presented.family_id)}))
            raise InvalidRefreshToken(f"the refresh token is {why.replace('_', ' ')}; "
                                      "log in again")
        issued, stored = self._issue(tenant_id, presented.user_id, presented.roles)
        self._store.follow(tenant_id, presented.family_id, stored)
        return issued

    def logout(self, tenant_id: UUID, user_id: UUID, token_id: str, expires_at: datetime,
               origin: Origin = Origin()) -> None:
        self._store.revoke_access(tenant_id, token_id, expires_at + ACCESS_MARGIN, AuthEvent(
            tenant_id, f"user:{user_id}", "session.logout", "user", str(user_id), origin))

    def _refusal(self, presented: PresentedRefresh) -> str | None:
        """Why a presented token ends its family, or None when it may be exchanged."""
        if presented.state == "spent":
            return "reused"
        if presented.state == "revoked":
            return "revoked"
        if presented.expires_at <= self._clock.now():
            return "expired"
        if presented.user_disabled or presented.family_started_at < presented.tokens_valid_after:
            return "revoked"
        return None

    def _issue(self, tenant_id: UUID, user_id: UUID, roles: tuple[str, ...]
               ) -> tuple[IssuedSession, StoredRefresh]:
        now, access_id = self._clock.now(), new_id().hex
        access, expires_in = self._tokens.issue(tenant_id, user_id, roles, access_id)
        refresh = f"{REFRESH_PREFIX}{tenant_id.hex}_{secrets.token_urlsafe(32)}"
        stored = StoredRefresh(new_id(), user_id, _hash(refresh),
                               now + timedelta(seconds=self.refresh_lifetime), access_id,
                               now + timedelta(seconds=expires_in) + ACCESS_MARGIN)
        return IssuedSession(access, expires_in, refresh, self.refresh_lifetime), stored
