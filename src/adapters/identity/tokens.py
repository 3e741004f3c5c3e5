"""JWT access tokens (pyjwt, HS256): tenant, user and roles, short-lived.

Each token has an id (``jti``) by which it can be revoked before it expires (a logout, ADR
0079).

A token may carry a ``scope`` (an enrolment token, ADR 0081): it may then call only the routes
that accept that scope.

Signing secrets rotate: tokens name their secret (``kid``, a hash of it); the current secret
signs, previous ones (``JWT_PREVIOUS_SECRETS``) still verify until their tokens expire.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import jwt

ISSUER = "frontdesk"
AUDIENCE = "frontdesk-api"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    tenant_id: UUID
    user_id: UUID
    roles: frozenset[str]
    issued_at: float = 0.0
    token_id: str = ""
    expires_at: float = 0.0
    scope: str | None = None


def key_id(secret: str) -> str:
    return hashlib.sha256(b"frontdesk-jwt:" + secret.encode()).hexdigest()[:12]


class InvalidToken(Exception):
    pass


class JwtTokens:
    """Issues and verifies tokens. A verified token is remembered (by its exact bytes) until it
    expires, so a client's repeated requests pay for the signature check once."""

    def __init__(self, secret: str, *, previous: Sequence[str] = (), lifetime: int = 3600,
                 leeway: int = 10, cache_size: int = 10_000) -> None:
        for candidate in (secret, *previous):
            if len(candidate.encode()) < 32:
                raise ValueError("JWT secrets must be at least 32 bytes")
        self._secret, self.lifetime, self._leeway = secret, lifetime, leeway
        self._kid = key_id(secret)
        self._secrets = {key_id(s): s for s in (*previous, secret)}
        self._verified: dict[str, tuple[float, VerifiedToken]] = {}
        self._cache_size = cache_size

    def issue(self, tenant_id: UUID, user_id: UUID, roles: tuple[str, ...],
              token_id: str | None = None, *, scope: str | None = None,
              lifetime: int | None = None) -> tuple[str, int]:
        now = time.time()  # iat to the millisecond: a revocation cuts off earlier tokens only
        seconds = self.lifetime if lifetime is None else lifetime
        claims: dict[str, object] = {
            "iss": ISSUER, "aud": AUDIENCE, "sub": str(user_id), "tid": str(tenant_id),
            "roles": list(roles), "iat": round(now, 3), "exp": int(now) + seconds,
            "jti": token_id or uuid.uuid4().hex}
        if scope is not None:
            claims["scope"] = scope
        return (jwt.encode(claims, self._secret, algorithm="HS256", headers={"kid": self._kid}),
                seconds)

    def verify(self, token: str) -> VerifiedToken:
        remembered = self._verified.get(token)
        if remembered is not None:
            expires, verified = remembered
            if time.time() < expires + self._leeway:
                return verified
            self._verified.pop(token, None)
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            secret = self._secrets.get(kid) if kid is not None else self._secret
            if secret is None:
                raise InvalidToken("the token was signed with a retired secret")
            claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE,
                                issuer=ISSUER, leeway=self._leeway,
                                options={"require": ["exp", "iat", "sub", "tid", "jti"]})
            verified = VerifiedToken(UUID(claims["tid"]), UUID(claims["sub"]),
                                     frozenset(str(r) for r in claims.get("roles", [])),
                                     float(claims["iat"]), str(claims["jti"]),
                                     float(claims["exp"]),
                                     str(claims["scope"]) if "scope" in claims else None)
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as error:
            raise InvalidToken(str(error)) from error
        if len(self._verified) >= self._cache_size:
            self._verified.clear()
        self._verified[token] = (float(claims["exp"]), verified)
        return verified
