"""Authentication (bearer JWT) and authorisation (roles per route).

The tenant comes from the verified token only. Each route declares ``opt={"roles": ...}``;
routes marked ``public`` skip authentication (health, login, the admin API which checks its own
token, webhooks with their own signatures).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from adapters.identity.tokens import InvalidToken, JwtTokens

ALL_ROLES = frozenset({"admin", "supervisor", "agent", "analyst"})
WRITERS = frozenset({"admin", "supervisor", "agent"})
SUPERVISORS = frozenset({"admin", "supervisor"})


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: UUID
    user_id: UUID
    roles: frozenset[str]

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}"


def bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("a bearer token is required",
                                     headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


class TokenAuthentication(AbstractAuthenticationMiddleware):
    tokens: JwtTokens

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]
                                   ) -> AuthenticationResult:
        token = bearer(connection)
        try:
            verified = self.tokens.verify(token)
        except InvalidToken:
            raise NotAuthorizedException("the token is invalid or expired",
                                         headers={"WWW-Authenticate": "Bearer"}) from None
        return AuthenticationResult(Principal(verified.tenant_id, verified.user_id,
                                              verified.roles), token)


def require_roles(connection: ASGIConnection[Any, Any, Any, Any],
                  handler: BaseRouteHandler) -> None:
    """Guard: the caller must hold one of the roles the route declares."""
    allowed = handler.opt.get("roles")
    if allowed is None:
        return
    principal = connection.user
    if not isinstance(principal, Principal) or not (principal.roles & frozenset(allowed)):
        raise PermissionDeniedException("your role does not allow this action")


def check_admin_token(connection: ASGIConnection[Any, Any, Any, Any], configured: str | None,
                      ) -> None:
    """The admin API: ADMIN_API_TOKEN compared in constant time; unset means disabled (503)."""
    if not configured:
        from litestar.exceptions import HTTPException

        raise HTTPException(status_code=503, detail="the admin API is disabled: set "
                                                    "ADMIN_API_TOKEN to enable it")
    presented = bearer(connection)
    if not hmac.compare_digest(presented.encode(), configured.encode()):
        raise NotAuthorizedException("invalid admin token",
                                     headers={"WWW-Authenticate": "Bearer"})


def roles(*names: str) -> dict[str, Any]:
    unknown = set(names) - ALL_ROLES
    assert not unknown, unknown
    return {"roles": sorted(names)}


def roles_text(allowed: frozenset[str] | tuple[str, ...]) -> str:
    return "Roles: " + ", ".join(sorted(allowed)) + "."
