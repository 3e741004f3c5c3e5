"""Login: email + password of a tenant's user -> a short-lived JWT."""

from __future__ import annotations

from litestar import Controller, post
from litestar.params import JSONBody

from application.identity import Authenticate
from entrypoints.http.deps import Identity
from entrypoints.http.schemas import LoginIn, TokenOut


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["auth"]
    opt = {"public": True}

    @post("/login", status_code=200, sync_to_thread=True, summary="Log in",
          description="Returns a bearer token carrying tenant, user and roles. 401 for any "
                      "mismatch, with the same answer whether tenant, email or password is "
                      "wrong.", security=[])
    def login(self, data: JSONBody[LoginIn], identity: Identity) -> TokenOut:
        issued = identity.authenticate(Authenticate(tenant=data.tenant, email=data.email,
                                                    password=data.password))
        return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)
