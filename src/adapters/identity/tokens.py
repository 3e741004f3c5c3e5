"""JWT access tokens (pyjwt, HS256): tenant, user and roles, short-lived."""

from __future__ import annotations

import time
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


class InvalidToken(Exception):
    pass


class JwtTokens:
    """Issues and verifies tokens. A verified token is remembered (by its exact bytes) until it
    expires, so a client's repeated requests pay for the signature check once."""

    def __init__(self, secret: str, *, lifetime: int = 3600, leeway: int = 10,
                 cache_size: int = 10_000) -> None:
        if len(secret.encode()) < 32:
            raise ValueError("JWT_SECRET must be at least 32 bytes")
        self._secret, self.lifetime, self._leeway = secret, lifetime, leeway
        self._verified: dict[str, tuple[float, VerifiedToken]] = {}
        self._cache_size = cache_size

    def issue(self, tenant_id: UUID, user_id: UUID, roles: tuple[str, ...]) -> tuple[str, int]:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": str(user_id), "tid": str(tenant_id),
                  "roles": list(roles), "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self._secret, algorithm="HS256"), self.lifetime

    def verify(self, token: str) -> VerifiedToken:
        remembered = self._verified.get(token)
        if remembered is not None:
            expires, verified = remembered
            if time.time() < expires + self._leeway:
                return verified
            self._verified.pop(token, None)
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], audience=AUDIENCE,
                                issuer=ISSUER, leeway=self._leeway,
                                options={"require": ["exp", "iat", "sub", "tid"]})
            verified = VerifiedToken(UUID(claims["tid"]), UUID(claims["sub"]),
                                     frozenset(str(r) for r in claims.get("roles", [])))
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as error:
            raise InvalidToken(str(error)) from error
        if len(self._verified) >= self._cache_size:
            self._verified.clear()
        self._verified[token] = (float(claims["exp"]), verified)
        return verified
