"""Login: email + password of a tenant's user -> a short-lived JWT."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody

from application.identity import Authenticate
from entrypoints.http.deps import Identity
from entrypoints.http.ratelimit import client_ip
from entrypoints.http.schemas import LoginIn, TokenOut


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["auth"]
    opt = {"public": True}

    @post("/login", status_code=200, sync_to_thread=True, summary="Log in",
          description="Returns a bearer token carrying tenant, user and roles. 401 for any "
                      "mismatch, with the same answer whether tenant, email or password is "
                      "wrong. Failed attempts are throttled per account and per IP: past the "
                      "limit the answer is 429 with Retry-After, even for the right password, "
                      "until the window ends.", security=[])
    def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginIn],
              identity: Identity) -> TokenOut:
        agent = request.headers.get("user-agent")
        issued = identity.authenticate(Authenticate(
            tenant=data.tenant, email=data.email, password=data.password,
            ip=client_ip(request.scope, identity.trust_forwarded),
            user_agent=agent[:300] if agent else None))
        return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)
