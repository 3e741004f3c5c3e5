"""Logging in and out of the console: the login form checks the password (and the TOTP code of a
user who turned it on, ADR 0081) like the API's login (same throttling and audit) and keeps the
token in an HttpOnly, SameSite=Strict cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from application.identity import Authenticate, AuthenticateHandler
from application.identity.access import Origin, TooManyAttempts
from application.identity.handlers import (
    EnrolmentRequired,
    InvalidCredentials,
    InvalidTotpCode,
    SecondFactorRequired,
)
from entrypoints.http.console.pages import page
from entrypoints.http.deps import Provided, Req
from entrypoints.http.security import ALL_ROLES, CONSOLE, SESSION_COOKIE, WRITERS, Principal, roles


@dataclass
class LoginForm:
    tenant: str
    email: str
    password: str
    totp_code: str = ""


@dataclass(frozen=True)
class CookiePolicy:
    secure: bool
    """Send the cookie over HTTPS only (production)."""


Form = Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


def session_cookie(value: str, max_age: int, policy: CookiePolicy) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=value, max_age=max_age, path=CONSOLE,
                  httponly=True, samesite="strict", secure=policy.secure)


class ConsoleAuthController(Controller):
    path = CONSOLE
    opt = {"public": True}
    include_in_schema = False

    @get("/login", sync_to_thread=False)
    def form(self, request: Req) -> Template:
        return page("login.html", request)

    @post("/login", sync_to_thread=True, status_code=303)
    def login(self, request: Req, data: Form, authenticate: Provided[AuthenticateHandler],
              origin: Provided[Origin], cookie_policy: Provided[CookiePolicy]
              ) -> Response[str] | Template:
        try:
            issued = authenticate(Authenticate(
                tenant=data.tenant.strip(), email=data.email.strip(), password=data.password,
                ip=origin.ip, user_agent=origin.user_agent,
                totp_code=data.totp_code.strip() or None))
        except (SecondFactorRequired, InvalidTotpCode) as second:
            return page("login.html", request, 401, tenant=data.tenant, email=data.email,
                        error="Enter the current code of your authenticator app."
                        if isinstance(second, SecondFactorRequired)
                        else "That authenticator code is wrong or was used already.")
        except EnrolmentRequired:
            return page("login.html", request, 403, tenant=data.tenant, email=data.email,
                        error="Admins of this organisation must use an authenticator app: "
                              "enrol through the API (POST /v1/auth/login, then "
                              "/v1/auth/totp), then log in here with a code.")
        except InvalidCredentials:
            return page("login.html", request, 401, tenant=data.tenant,
                        email=data.email, error="That organisation, email and password do not "
                                                "match.")
        except TooManyAttempts as slow:
            return page("login.html", request, 429, tenant=data.tenant,
                        email=data.email, error=f"Too many attempts: try again in "
                                                f"{slow.retry_after} seconds.")
        return Redirect(f"{CONSOLE}/", status_code=303,
                        cookies=[session_cookie(issued.access_token, issued.expires_in,
                                                cookie_policy)])

    @post("/logout", sync_to_thread=False, status_code=303)
    def logout(self, cookie_policy: Provided[CookiePolicy]) -> Response[str]:
        return Redirect(f"{CONSOLE}/login", status_code=303,
                        cookies=[session_cookie("", 0, cookie_policy)])


class ConsoleHomeController(Controller):
    path = CONSOLE
    opt = roles(*ALL_ROLES)
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def home(self, request: Req) -> Redirect:
        """Agents land in their workspace, the others on the wall."""
        principal: Principal = request.user
        works = not principal.roles.isdisjoint(WRITERS - {"admin", "supervisor"})
        return Redirect(f"{CONSOLE}/agent" if works else f"{CONSOLE}/wall", status_code=303)
