"""Authentication (bearer JWT or API key) and authorisation (roles per route).

The tenant comes from the verified token or key only. A token is refused once its user is
disabled or their roles or password changed after it was issued; a revoked key is refused.
Each route declares ``opt={"roles": ...}``; routes marked ``public`` skip authentication
(health, login, the admin API which checks its own token, webhooks with their signatures).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Receive, Scope, Send

from adapters.identity.gate import AccessGate
from adapters.identity.tokens import InvalidToken, JwtTokens
from application.identity.access import KEY_PREFIX, key_matches, split_key
from entrypoints.http.ratelimit import send_problem, too_many

ALL_ROLES = frozenset({"admin", "supervisor", "agent", "analyst"})
WRITERS = frozenset({"admin", "supervisor", "agent"})
SUPERVISORS = frozenset({"admin", "supervisor"})


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: UUID
    user_id: UUID  # the key's id for an API key
    roles: frozenset[str]
    kind: str = "user"  # or "api_key"

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.user_id}"


def bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("a bearer token is required",
                                     headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


class TokenAuthentication(AbstractAuthenticationMiddleware):
    tokens: JwtTokens
    gate: AccessGate | None = None
    refusals: Callable[[Scope], Awaitable[int | None]] | None = None
    """Counts a refused request against its address; the seconds to wait when over the limit."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A refusal is answered here, inside the request-context middleware: it gets its
        request id, security headers, access-log line and 4xx metric like any answer (raised
        further, it reached only the app's outermost handler and was counted as a 5xx)."""
        try:
            await super().__call__(scope, receive, send)
        except NotAuthorizedException as refused:
            wait = await self.refusals(scope) if self.refusals is not None else None
            if wait is not None:
                await too_many(send, "ip", wait, [])
                return
            detail = refused.detail if isinstance(refused.detail, str) else "unauthenticated"
            await send_problem(send, 401, "unauthenticated", "Unauthenticated", detail[:300],
                               [(b"www-authenticate", b"Bearer")])

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]
                                   ) -> AuthenticationResult:
        token = bearer(connection)
        if token.startswith(KEY_PREFIX):
            return AuthenticationResult(await self._api_key(token), token)
        try:
            verified = self.tokens.verify(token)
        except InvalidToken:
            raise _unauthorized("the token is invalid or expired") from None
        if self.gate is not None:
            standing = await self.gate.standing(verified.tenant_id, verified.user_id)
            if (not standing.exists or standing.disabled
                    or verified.issued_at < standing.tokens_valid_after):
                raise _unauthorized("the token was revoked; log in again")
        return AuthenticationResult(Principal(verified.tenant_id, verified.user_id,
                                              verified.roles), token)

    async def _api_key(self, token: str) -> Principal:
        parts = split_key(token)
        record = None
        if parts is not None and self.gate is not None:
            record = await self.gate.api_key(parts[0])
        if parts is None or record is None or not key_matches(parts[1], record.secret_hash):
            raise _unauthorized("the API key is invalid")
        if record.revoked:
            raise _unauthorized("the API key was revoked")
        return Principal(record.tenant_id, record.id, record.roles, kind="api_key")


def _unauthorized(detail: str) -> NotAuthorizedException:
    return NotAuthorizedException(detail, headers={"WWW-Authenticate": "Bearer"})


def require_roles(app: ASGIApp) -> ASGIApp:
    """Middleware, innermost: the caller must hold one of the roles the route declares.

    Not a guard: Litestar hands every guard a shallow copy of the route handler, made anew
    for each request, and that copy was 5% of an API process's event-loop time under
    `make bench` (c) POST (py-spy). It runs after authentication and the rate limits, where the
    guard ran, so a refused request still counts against its caller's limit."""
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        allowed = None if handler is None else handler.opt.get("roles")
        if allowed is not None:
            principal = scope.get("user")
            if not isinstance(principal, Principal) or principal.roles.isdisjoint(allowed):
                raise PermissionDeniedException("your role does not allow this action")
        await app(scope, receive, send)

    return middleware


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
