"""Schemas of tenants, login, users, API keys and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from entrypoints.http.schemas import EmailText, In, Name

Role = Literal["admin", "supervisor", "agent", "analyst"]


# -- tenants and login -------------------------------------------------------------------------

class TenantCreate(In):
    name: Name = Field(examples=["Bright Smile Clinic"])
    slug: str = Field(min_length=1, max_length=63, examples=["bright-smile"],
                      description="Lower-case letters, digits and '-'; used to log in")
    admin_email: EmailText = Field(examples=["owner@bright.example"])
    admin_password: str = Field(min_length=10, max_length=200,
                                description="At least 10 characters")


class TenantOut(BaseModel):
    id: UUID
    slug: str
    name: str


class LoginIn(In):
    tenant: str = Field(min_length=1, max_length=63, examples=["bright-smile"])
    email: EmailText = Field(examples=["owner@bright.example"])
    password: str = Field(min_length=1, max_length=200)
    totp_code: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", examples=["492039"],
        description="The six-digit code of the user's authenticator app, required when they "
                    "turned TOTP on (without it: 401 `totp-required`; wrong or used before: "
                    "401 `invalid-totp-code`, counted like a wrong password)")


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name)
    expires_in: int = Field(description="Lifetime of the token in seconds")
    refresh_token: str = Field(description="Opaque; exchange it at `POST /v1/auth/refresh` "
                                           "for a new access token and a new refresh token. "
                                           "Good once: presenting it again ends the session.")
    refresh_expires_in: int = Field(description="Lifetime of the refresh token in seconds")


class RefreshIn(In):
    refresh_token: str = Field(min_length=1, max_length=200)


# -- users, keys, audit ------------------------------------------------------------------------

class UserIn(In):
    email: EmailText = Field(examples=["agent@bright.example"])
    password: str = Field(min_length=10, max_length=1024, description="At least 10 characters")
    roles: list[Role] = Field(min_length=1, max_length=4, examples=[["agent"]])
    display_name: str | None = Field(default=None, max_length=200, examples=["Marta Gil"])


class UserPatch(In):
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=4)
    disabled: bool | None = Field(default=None, description="A disabled user cannot log in; "
                                                            "their tokens stop working")
    password: str | None = Field(default=None, min_length=10, max_length=1024)
    display_name: str | None = Field(default=None, max_length=200)


class UserOut(BaseModel):
    id: UUID
    email: str
    display_name: str | None
    roles: list[str]
    disabled: bool
    created_at: datetime
    updated_at: datetime


class UserList(BaseModel):
    items: list[UserOut]


class ApiKeyIn(In):
    name: str = Field(min_length=1, max_length=100, examples=["website form"])
    roles: list[Role] = Field(min_length=1, max_length=4, examples=[["agent"]],
                              description="What the key may do; never more than its creator")
    expires_at: AwareDatetime | None = Field(
        default=None, examples=["2027-06-30T00:00:00Z"],
        description="When the key stops working (future, within 3650 days); or "
                    "`expires_in_days`; neither: never")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, examples=[90],
                                        description="Days from now until the key expires")


class ApiKeyOut(BaseModel):
    id: UUID
    prefix: str = Field(description="The public part of the key, shown in lists")
    name: str
    roles: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = Field(
        description="Set by DELETE, or when the key's creator is disabled or loses the "
                    "admin role")
    expires_at: datetime | None = Field(description="After this the key is refused; null: "
                                                    "never")
    last_used_at: datetime | None = Field(
        description="The last request made with the key, to the minute (written at most "
                    "once a minute)")


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash. "
                                 "Send it as `Authorization: Bearer <key>`.")


class EmailSecretOut(BaseModel):
    source: Literal["tenant", "environment", "none"] = Field(
        description="What verifies the tenant's inbound email: its own secret, "
                    "FRONTDESK_EMAIL_WEBHOOK_SECRET, or nothing (503)")
    rotated_at: datetime | None


class EmailSecretCreatedOut(BaseModel):
    secret: str = Field(description="The tenant's inbound-email secret: shown this once. Sign "
                                    "with it as the README's 'Inbound email' says.")
    rotated_at: datetime


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class AuditEntryOut(BaseModel):
    id: UUID
    occurred_at: datetime
    actor: str = Field(examples=["user:6f1c…", "api_key:…", "cli:keys-rotate"])
    action: str = Field(examples=["LeadCaptured", "login.failed", "api_key.revoked"])
    resource_type: str = Field(examples=["Lead", "user"])
    resource_id: str | None
    version: int | None = Field(description="The event's version of its resource")
    source: Literal["event", "auth"]
    ip: str | None = Field(description="Client address (authentication events)")
    user_agent: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None
