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
    def __init__(self, secret: str, *, lifetime: int = 3600, leeway: int = 10) -> None:
        if len(secret.encode()) < 32:
            raise ValueError("JWT_SECRET must be at least 32 bytes")
        self._secret, self.lifetime, self._leeway = secret, lifetime, leeway

    def issue(self, tenant_id: UUID, user_id: UUID, roles: tuple[str, ...]) -> tuple[str, int]:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": str(user_id), "tid": str(tenant_id),
                  "roles": list(roles), "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self._secret, algorithm="HS256"), self.lifetime

    def verify(self, token: str) -> VerifiedToken:
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], audience=AUDIENCE,
                                issuer=ISSUER, leeway=self._leeway,
                                options={"require": ["exp", "iat", "sub", "tid"]})
            return VerifiedToken(UUID(claims["tid"]), UUID(claims["sub"]),
                                 frozenset(str(r) for r in claims.get("roles", [])))
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as error:
            raise InvalidToken(str(error)) from error
