"""Sessions: log in (email + password -> a short-lived JWT and a refresh token), refresh
(rotation with reuse detection), log out (the token is revoked at once everywhere; ADR 0079)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, post
from litestar.exceptions import ClientException
from litestar.params import JSONBody

from application.identity import Authenticate, AuthenticateHandler
from application.identity.access import Origin
from application.identity.sessions import Sessions
from entrypoints.http.deps import Provided
from entrypoints.http.identity.schemas import LoginIn, RefreshIn, TokenOut
from entrypoints.http.security import ALL_ROLES, Principal, roles, roles_text


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["auth"]
    opt = {"public": True}

    @post("/login", status_code=200, sync_to_thread=True, summary="Log in",
          description="Returns a bearer token carrying tenant, user and roles, and a refresh "
                      "token. 401 for any mismatch, with the same answer whether tenant, email "
                      "or password is wrong. Failed attempts are throttled per account and per "
                      "IP: past the limit the answer is 429 with Retry-After, even for the right "
                      "password, until the window ends.", security=[])
    def login(self, data: JSONBody[LoginIn],
              authenticate: Provided[AuthenticateHandler],
              origin: Provided[Origin]) -> TokenOut:
        issued = authenticate(Authenticate(
            tenant=data.tenant, email=data.email, password=data.password,
            ip=origin.ip, user_agent=origin.user_agent, totp_code=data.totp_code))
        assert issued.refresh_token is not None and issued.refresh_expires_in is not None
        return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in,
                        refresh_token=issued.refresh_token,
                        refresh_expires_in=issued.refresh_expires_in)

    @post("/refresh", status_code=200, sync_to_thread=True, summary="Refresh a session",
          description="Exchanges a refresh token for a new access token and a new refresh "
                      "token; the one presented is spent. A spent, expired or revoked refresh "
                      "token, or one of a user since disabled or whose roles or password "
                      "changed, is a 401 `invalid-refresh-token` and ends the whole session: "
                      "every refresh token of that login and every access token issued from "
                      "them stop working (a spent token presented again means it was copied).",
          security=[])
    def refresh(self, data: JSONBody[RefreshIn], sessions: Provided[Sessions],
                origin: Provided[Origin]) -> TokenOut:
        issued = sessions.refresh(data.refresh_token, origin)
        return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in,
                        refresh_token=issued.refresh_token,
                        refresh_expires_in=issued.refresh_expires_in)

    @post("/logout", status_code=204, sync_to_thread=True, summary="Log out",
          description="Revokes the access token of this request at once, in every process, "
                      "and ends the session it belongs to (its refresh tokens and the access "
                      "tokens issued from them). Other sessions of the user are untouched. An "
                      "API key cannot log out (400: revoke the key instead). "
                      + roles_text(ALL_ROLES),
          opt={"public": False, **roles(*ALL_ROLES)})
    def logout(self, request: Request[Principal, Any, Any], sessions: Provided[Sessions],
               origin: Provided[Origin]) -> None:
        principal = request.user
        if principal.kind != "user" or not principal.token_id:
            raise ClientException("only a user's access token can log out; "
                                      "revoke an API key with DELETE /v1/api-keys/{key_id}")
        sessions.logout(principal.tenant_id, principal.user_id, principal.token_id,
                        datetime.fromtimestamp(principal.expires_at, UTC), origin)
