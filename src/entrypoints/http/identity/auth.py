"""Login: email + password of a tenant's user -> a short-lived JWT."""

from __future__ import annotations

from litestar import Controller, post
from litestar.params import JSONBody

from application.identity import Authenticate, AuthenticateHandler
from application.identity.access import Origin
from entrypoints.http.deps import Provided
from entrypoints.http.identity.schemas import LoginIn, TokenOut


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
    def login(self, data: JSONBody[LoginIn],
              authenticate: Provided[AuthenticateHandler],
              origin: Provided[Origin]) -> TokenOut:
        issued = authenticate(Authenticate(
            tenant=data.tenant, email=data.email, password=data.password,
            ip=origin.ip, user_agent=origin.user_agent))
        return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)
