"""TOTP (ADR 0081) without a database: the pyotp adapter against RFC 6238's test vector and its
window, and the second factor's rules on a stateful in-memory store and a manual clock."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pyotp
import pytest

from adapters.clock import ManualClock
from adapters.identity.totp import PyotpCodes
from application.identity.access import AuthEvent, Origin, UserView
from application.identity.handlers import (
    EnrolmentRequired,
    InvalidTotpCode,
    SecondFactorRequired,
)
from application.identity.ports import TenantRecord, UserRecord
from application.identity.totp import (
    ENROLMENT_SCOPE,
    REQUIRE_SETTING,
    FactorRequiredForAdmins,
    SecondFactor,
    StoredFactor,
)
from domain.shared import InvalidValue

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238 appendix B, SHA-1
START = datetime(2026, 12, 6, 20, 0, 0, tzinfo=UTC)
ACTOR = "user:someone"


def test_codes_match_rfc_6238_and_one_step_either_side_only() -> None:
    codes = PyotpCodes()
    at_59 = datetime.fromtimestamp(59, UTC)
    assert codes.matching_step(RFC_SECRET, "287082", at_59) == 1  # 94287082, six digits
    assert codes.matching_step(RFC_SECRET, "287082", at_59 + timedelta(seconds=30)) == 1
    assert codes.matching_step(RFC_SECRET, "287082", at_59 + timedelta(seconds=61)) is None
    assert codes.matching_step(RFC_SECRET, "287083", at_59) is None
    secret = codes.new_secret()
    assert len(secret) == 32 and len(base64.b32decode(secret)) == 20  # 160 bits
    uri = codes.provisioning_uri(secret, "ana@bright.example", "Frontdesk")
    assert uri == ("otpauth://totp/Frontdesk:ana%40bright.example?"
                   f"secret={secret}&issuer=Frontdesk")


@dataclass
class InMemoryFactors:
    rows: dict[tuple[UUID, UUID], StoredFactor] = field(default_factory=dict)
    events: list[AuthEvent] = field(default_factory=list)
    required: set[UUID] = field(default_factory=set)

    def factor(self, tenant_id: UUID, user_id: UUID) -> StoredFactor | None:
        return self.rows.get((tenant_id, user_id))

    def begin(self, tenant_id: UUID, user_id: UUID, secret: str, at: datetime,
              event: AuthEvent) -> bool:
        current = self.rows.get((tenant_id, user_id))
        if current is not None and current.status == "enabled":
            return False
        self.rows[tenant_id, user_id] = StoredFactor("pending", secret, None, at, None)
        self.events.append(event)
        return True

    def enable(self, tenant_id: UUID, user_id: UUID, secret: str, step: int, at: datetime,
               event: AuthEvent) -> bool:
        current = self.rows.get((tenant_id, user_id))
        if current is None or current.status != "pending" or current.secret != secret:
            return False
        self.rows[tenant_id, user_id] = replace(current, status="enabled", last_step=step,
                                                enabled_at=at)
        self.events.append(event)
        return True

    def use_step(self, tenant_id: UUID, user_id: UUID, step: int) -> bool:
        current = self.rows.get((tenant_id, user_id))
        if current is None or current.status != "enabled" or (
                current.last_step is not None and current.last_step >= step):
            return False
        self.rows[tenant_id, user_id] = replace(current, last_step=step)
        return True

    def remove(self, tenant_id: UUID, user_id: UUID, event: AuthEvent) -> bool:
        if self.rows.pop((tenant_id, user_id), None) is None:
            return False
        self.events.append(event)
        return True

    def admins_required(self, tenant_id: UUID) -> bool:
        return tenant_id in self.required

    def require_for_admins(self, tenant_id: UUID, required: bool, event: AuthEvent) -> None:
        (self.required.add if required else self.required.discard)(tenant_id)
        self.events.append(event)


@dataclass
class Users:
    users: dict[UUID, UserView] = field(default_factory=dict)

    def user(self, tenant_id: UUID, user_id: UUID) -> UserView | None:
        return self.users.get(user_id)


@dataclass
class Tokens:
    issued: list[dict[str, object]] = field(default_factory=list)

    def issue(self, tenant_id: UUID, user_id: UUID, roles: tuple[str, ...],
              token_id: str | None = None, *, scope: str | None = None,
              lifetime: int | None = None) -> tuple[str, int]:
        self.issued.append({"user": user_id, "scope": scope, "lifetime": lifetime})
        return f"token-{len(self.issued)}", lifetime or 3600


@dataclass
class World:
    factor: SecondFactor
    store: InMemoryFactors
    clock: ManualClock
    tokens: Tokens
    tenant: TenantRecord
    user: UserRecord

    def code(self, offset: int = 0) -> str:
        """The code of the step ``offset`` steps from the clock's."""
        secret = self.store.rows[self.tenant.id, self.user.id].secret
        return pyotp.TOTP(secret).generate_otp(int(self.clock.now().timestamp()) // 30 + offset)

    def wrong(self) -> str:
        accepted = {self.code(offset) for offset in (-1, 0, 1)}
        return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


def world(roles: tuple[str, ...] = ("agent",), required: bool = False) -> World:
    tenant = TenantRecord(uuid4(), "bright", "Bright", {REQUIRE_SETTING: required})
    user = UserRecord(uuid4(), tenant.id, "ana@bright.example", "hash", roles)
    view = UserView(user.id, user.email, None, roles, False, START, START)
    store, clock, tokens = InMemoryFactors(), ManualClock(START), Tokens()
    if required:
        store.required.add(tenant.id)
    factor = SecondFactor(store, PyotpCodes(), clock, Users({user.id: view}), tokens)
    return World(factor, store, clock, tokens, tenant, user)


def enrolled(w: World) -> World:
    w.factor.begin(w.tenant.id, w.user.id, ACTOR, Origin())
    w.factor.confirm(w.tenant.id, w.user.id, w.code(), ACTOR, Origin())
    return w


def test_pending_is_not_required_and_a_confirmed_factor_takes_each_code_once() -> None:
    w = world()
    new = w.factor.begin(w.tenant.id, w.user.id, ACTOR, Origin())
    assert new.otpauth_uri.endswith(f"secret={new.secret}&issuer=Frontdesk")
    w.factor.at_login(w.tenant, w.user, None)  # pending: the password is enough
    with pytest.raises(InvalidValue):
        w.factor.confirm(w.tenant.id, w.user.id, w.wrong(), ACTOR, Origin())
    confirming = w.code()
    w.factor.confirm(w.tenant.id, w.user.id, confirming, ACTOR, Origin())
    with pytest.raises(SecondFactorRequired):
        w.factor.at_login(w.tenant, w.user, None)
    with pytest.raises(InvalidTotpCode):  # the confirming code was used
        w.factor.at_login(w.tenant, w.user, confirming)
    w.factor.at_login(w.tenant, w.user, w.code(1))
    with pytest.raises(InvalidTotpCode, match="used"):
        w.factor.at_login(w.tenant, w.user, w.code(1))
    w.clock.advance(timedelta(seconds=60))
    w.factor.at_login(w.tenant, w.user, w.code())  # a later step
    w.clock.advance(timedelta(minutes=5))
    with pytest.raises(InvalidTotpCode):
        w.factor.at_login(w.tenant, w.user, w.code(-3))  # too old


def test_an_admin_without_the_factor_gets_only_an_enrolment_token_when_required() -> None:
    free = world(("admin",))
    free.factor.at_login(free.tenant, free.user, None)  # not required: the password is enough
    assert free.tokens.issued == []
    w = world(("admin",), required=True)
    with pytest.raises(EnrolmentRequired) as refused:
        w.factor.at_login(w.tenant, w.user, None)
    assert refused.value.details["enrolment_token"] == "token-1"
    assert w.tokens.issued == [{"user": w.user.id, "scope": ENROLMENT_SCOPE, "lifetime": 600}]
    enrolled(w)
    w.factor.at_login(w.tenant, w.user, w.code(1))
    with pytest.raises(FactorRequiredForAdmins):
        w.factor.disable(w.tenant.id, w.user.id, w.code(1), ACTOR, Origin())
    assert [e.action for e in w.store.events] == ["totp.enrolment_started", "totp.enabled"]
