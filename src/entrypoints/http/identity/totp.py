"""The TOTP second factor (ADR 0081): a user enrols, confirms and turns it off; an admin removes
another user's and says whether admins must use it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from litestar import Controller, delete, get, post, put
from litestar.exceptions import ClientException
from litestar.params import JSONBody
from pydantic import BaseModel, Field

from application.identity.access import Origin
from application.identity.totp import ENROLMENT_SCOPE, SecondFactor
from entrypoints.http.deps import Id, Provided, Req
from entrypoints.http.schemas import In
from entrypoints.http.security import ADMINS, ALL_ROLES, accepts_scope, roles, roles_text

Factor = Provided[SecondFactor]
From = Provided[Origin]
ENROLMENT = accepts_scope(ENROLMENT_SCOPE)


class TotpCodeIn(In):
    code: str = Field(pattern=r"^[0-9]{6}$", examples=["492039"],
                      description="The current six-digit code of the authenticator app")


class TotpStatusOut(BaseModel):
    status: Literal["off", "pending", "enabled"] = Field(
        description="`pending`: an enrolment waits for its confirming code; `enabled`: a "
                    "login needs a code", examples=["enabled"])
    enabled_at: datetime | None = Field(examples=["2026-12-06T20:15:00Z"])


class TotpEnrolmentOut(BaseModel):
    secret: str = Field(description="The shared secret in base32, shown this once (stored "
                                    "wrapped by the key-encryption key)",
                        examples=["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"])
    otpauth_uri: str = Field(
        description="The same secret for an authenticator app (show it as a QR code): "
                    "SHA-1, six digits, 30-second steps",
        examples=["otpauth://totp/Frontdesk:owner%40bright.example?"
                  "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Frontdesk"])


class TotpPolicy(In):
    admins_require_totp: bool = Field(
        examples=[True], description="When true, an admin without TOTP on gets no session at "
                                     "login, only an `enrolment_token` (403 "
                                     "`totp-enrolment-required`) for the enrolment routes")


def _user_only(request: Req) -> None:
    if request.user.kind != "user":
        raise ClientException("only a user has a second factor; an API key has none")


class TotpController(Controller):
    path = "/v1/auth/totp"
    tags = ["auth"]
    opt = roles(*ALL_ROLES)

    @get("/", sync_to_thread=True, opt=ENROLMENT, summary="The caller's second factor",
         description="Whether the caller's TOTP factor is off, pending confirmation or "
                     "enabled. An enrolment token may call it. " + roles_text(ALL_ROLES))
    def status(self, request: Req, second_factor: Factor) -> TotpStatusOut:
        _user_only(request)
        status = second_factor.status(request.user.tenant_id, request.user.user_id)
        return TotpStatusOut(status=status.status, enabled_at=status.enabled_at)

    @post("/", status_code=201, sync_to_thread=True, opt=ENROLMENT,
          summary="Start enrolling a TOTP authenticator",
          description="Generates a new secret and answers it once, with its `otpauth://` URI "
                      "for an authenticator app; the factor is `pending` (a login does not "
                      "need it yet) until `POST /v1/auth/totp/confirm` proves the app has it. "
                      "Starting again replaces a pending secret. 409 `totp-already-enabled` "
                      "when it is on. An enrolment token may call it. Audited "
                      "(`totp.enrolment_started`). " + roles_text(ALL_ROLES))
    def begin(self, request: Req, second_factor: Factor, origin: From) -> TotpEnrolmentOut:
        _user_only(request)
        new = second_factor.begin(request.user.tenant_id, request.user.user_id,
                                  request.user.actor, origin)
        return TotpEnrolmentOut(secret=new.secret, otpauth_uri=new.otpauth_uri)

    @post("/confirm", status_code=200, sync_to_thread=True, opt=ENROLMENT,
          summary="Confirm the enrolment with a code: TOTP is on",
          description="A current code of the pending secret turns the factor on; from then "
                      "on every login needs a code (`totp_code`). A wrong code is a 422 "
                      "`invalid-value` on `code`, counted per user like a wrong password "
                      "(429 `too-many-attempts` past the limit); 409 `totp-not-pending` without "
                      "a pending enrolment. An enrolment token may call it (then log in again, "
                      "with a code). Audited (`totp.enabled`). " + roles_text(ALL_ROLES))
    def confirm(self, request: Req, data: JSONBody[TotpCodeIn], second_factor: Factor,
                origin: From) -> TotpStatusOut:
        _user_only(request)
        status = second_factor.confirm(request.user.tenant_id, request.user.user_id,
                                       data.code, request.user.actor, origin)
        return TotpStatusOut(status=status.status, enabled_at=status.enabled_at)

    @post("/disable", status_code=204, sync_to_thread=True,
          summary="Turn the caller's TOTP off with a code",
          description="A current code turns the factor off; logins need the password alone "
                      "again. Wrong codes as for confirming. 409 `totp-not-enabled` when it is "
                      "not on; 409 `totp-required-for-admins` for an admin while the tenant "
                      "requires TOTP of admins (another admin can remove it). Audited "
                      "(`totp.disabled`). " + roles_text(ALL_ROLES))
    def disable(self, request: Req, data: JSONBody[TotpCodeIn], second_factor: Factor,
                origin: From) -> None:
        _user_only(request)
        second_factor.disable(request.user.tenant_id, request.user.user_id, data.code,
                              request.user.actor, origin)


class UserTotpController(Controller):
    path = "/v1/users/{user_id:uuid}/totp"
    tags = ["access"]
    opt = roles(*ADMINS)

    @delete("/", status_code=204, sync_to_thread=True,
            summary="Remove a user's TOTP factor (a lost authenticator)",
            description="The user logs in with the password alone again (or, an admin while "
                        "the tenant requires TOTP, only to enrol anew). 404 for a user not of "
                        "this tenant; 409 `totp-not-enabled` when they have no factor, 409 "
                        "`totp-own-factor-needs-code` for the caller's own (turn it off with a "
                        "code instead). Audited "
                        "(`totp.removed`, by the admin).")
    def remove(self, request: Req, user_id: Id, second_factor: Factor, origin: From) -> None:
        second_factor.remove_for(request.user.tenant_id, user_id, request.user.actor, origin)


class TotpPolicyController(Controller):
    path = "/v1/totp-policy"
    tags = ["access"]
    opt = roles(*ADMINS)

    @get("/", sync_to_thread=True, summary="Whether admins must use TOTP",
         description="The tenant's `admins_require_totp` (false unless an admin set it).")
    def policy(self, request: Req, second_factor: Factor) -> TotpPolicy:
        return TotpPolicy(admins_require_totp=second_factor.admins_required(
            request.user.tenant_id))

    @put("/", sync_to_thread=True, summary="Say whether admins must use TOTP",
         description="While true, an admin without TOTP on is answered 403 "
                     "`totp-enrolment-required` at login, with an `enrolment_token` (10 "
                     "minutes) that may call only `GET`/`POST /v1/auth/totp` and `POST "
                     "/v1/auth/totp/confirm`; after confirming they log in with a code. "
                     "Sessions already open go on until they end. Audited "
                     "(`totp_policy.changed`).")
    def set_policy(self, request: Req, data: JSONBody[TotpPolicy], second_factor: Factor,
                   origin: From) -> TotpPolicy:
        return TotpPolicy(admins_require_totp=second_factor.require_for_admins(
            request.user.tenant_id, data.admins_require_totp, request.user.actor, origin))
