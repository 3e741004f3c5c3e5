"""Authentication (bearer JWT or API key) and authorisation (roles per route).

The tenant comes from the verified token or key only. A token is refused once its user is
disabled or their roles or password changed after it was issued, or once it was revoked by its
id (a logout, an ended refresh family); a revoked or expired key is refused (a key is revoked
when its creator stops being an enabled admin).
Each controller (or route) declares ``opt=roles(...)``; routes marked ``public`` skip
authentication (health, login, the admin API with its own token, signed webhooks). A token with
a ``scope`` (an enrolment token, ADR 0081) may call only the routes whose ``opt`` lists that
scope in ``scopes`` (``accepts_scope(...)``); any other answers 403.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Receive, Scope, Send

from adapters.identity.gate import AccessGate
from adapters.identity.tokens import InvalidToken, JwtTokens
from application.identity.access import KEY_PREFIX, key_matches, split_key
from entrypoints.http.ratelimit import send_problem, too_many

ALL_ROLES = frozenset({"admin", "supervisor", "agent", "analyst"})
CONSOLE = "/console"
"""The console's pages authenticate with the session cookie, the API with a bearer header."""
SESSION_COOKIE = "fd_session"
WRITERS = frozenset({"admin", "supervisor", "agent"})
SUPERVISORS = frozenset({"admin", "supervisor"})
ANALYSTS = frozenset({"admin", "supervisor", "analyst"})
ADMINS = frozenset({"admin"})


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: UUID
    user_id: UUID  # the key's id for an API key
    roles: frozenset[str]
    kind: str = "user"  # or "api_key"
    token_id: str | None = None  # the access token's jti (None for an API key)
    expires_at: float = 0.0  # the access token's exp, epoch seconds
    scope: str | None = None  # a restricted token's scope (ADR 0081); None: unrestricted

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
            if scope["path"].startswith(CONSOLE):
                await send_login_redirect(send, htmx=(b"hx-request", b"true") in scope["headers"])
                return
            detail = refused.detail if isinstance(refused.detail, str) else "unauthenticated"
            await send_problem(send, 401, "unauthenticated", "Unauthenticated", detail[:300],
                               [(b"www-authenticate", b"Bearer")])

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]
                                   ) -> AuthenticationResult:
        token = session_token(connection) or bearer(connection)
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
            if await self.gate.revoked(verified.tenant_id, verified.token_id):
                raise _unauthorized("the token was revoked; log in again")
        return AuthenticationResult(Principal(verified.tenant_id, verified.user_id,
                                              verified.roles, token_id=verified.token_id,
                                              expires_at=verified.expires_at,
                                              scope=verified.scope), token)

    async def _api_key(self, token: str) -> Principal:
        parts = split_key(token)
        record = None
        if parts is not None and self.gate is not None:
            record = await self.gate.api_key(parts[0])
        if parts is None or record is None or not key_matches(parts[1], record.secret_hash):
            raise _unauthorized("the API key is invalid")
        if record.revoked:
            raise _unauthorized("the API key was revoked")
        if record.expired(time.time()):
            raise _unauthorized("the API key expired")
        assert self.gate is not None  # a record came from it
        await self.gate.used(parts[0])
        return Principal(record.tenant_id, record.id, record.roles, kind="api_key")


def session_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The console's session cookie (a token like the API's), on console paths only: the API
    never reads a cookie, so no other site can make a browser call it (CSRF)."""
    if not connection.scope["path"].startswith(CONSOLE):
        return None
    return connection.cookies.get(SESSION_COOKIE) or None


async def send_login_redirect(send: Send, *, htmx: bool) -> None:
    """A console page without a valid session goes to the login page; a fragment htmx asked
    for makes the whole page go there (``HX-Redirect``) instead of swapping the login in."""
    login = f"{CONSOLE}/login".encode()
    headers = [(b"hx-redirect", login) if htmx else (b"location", login),
               (b"content-length", b"0")]
    start: Any = {"type": "http.response.start", "status": 200 if htmx else 303,
                  "headers": headers}
    await send(start)
    body: Any = {"type": "http.response.body", "body": b""}
    await send(body)


def _unauthorized(detail: str) -> NotAuthorizedException:
    return NotAuthorizedException(detail, headers={"WWW-Authenticate": "Bearer"})


def require_roles(app: ASGIApp) -> ASGIApp:
    """Middleware, innermost: the caller must hold one of the roles the route declares (on its
    controller or itself). Not a guard, which costs a handler copy per request (ADR 0063); after
    authentication and the rate limits, so a refused request still counts against its caller."""
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        allowed = None if handler is None else handler.opt.get("roles")
        principal = scope.get("user")
        if isinstance(principal, Principal) and principal.scope is not None and (
                handler is None or principal.scope not in handler.opt.get("scopes", ())):
            raise PermissionDeniedException(
                "this token may only enrol a second factor (POST /v1/auth/totp, "
                "POST /v1/auth/totp/confirm); log in again once it is on")
        if allowed is not None and (not isinstance(principal, Principal)
                                    or principal.roles.isdisjoint(allowed)):
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


def accepts_scope(*scopes: str) -> dict[str, Any]:
    """``opt`` of a route that a token restricted to one of ``scopes`` may call."""
    return {"scopes": sorted(scopes)}


def roles_text(allowed: frozenset[str] | tuple[str, ...]) -> str:
    return "Roles: " + ", ".join(sorted(allowed)) + "."


def acting_agent(request: Request[Principal, Any, Any]) -> UUID | None:
    """A supervisor or admin acts for any agent (None); anyone else acts as themselves."""
    principal = request.user
    return None if principal.roles & SUPERVISORS else principal.user_id


def require_self_or_supervisor(request: Request[Principal, Any, Any], agent_id: UUID) -> None:
    agent = acting_agent(request)
    if agent is not None and agent != agent_id:
        raise PermissionDeniedException("agents may change only their own status")
