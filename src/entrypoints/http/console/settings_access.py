"""Settings: users (add, change roles, disable or enable) and API keys (create with roles
and an optional expiry, the key shown once; revoke). The same application services as
``/v1/users`` and ``/v1/api-keys``, with the same rules and the same audit entries; a refusal
(a taken email, a short password, the last admin) is shown beside the form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, post
from litestar.response import Template

from adapters.identity.gate import AccessGate
from application.identity.access import (
    ApiKeyAdministration,
    CreateApiKey,
    CreateUser,
    Origin,
    UpdateUser,
    UserAdministration,
)
from domain.shared import DomainError
from entrypoints.http.console.pages import page
from entrypoints.http.console.settings import (
    SETTINGS,
    SETTINGS_ERRORS,
    Form,
    Reads,
    chosen_roles,
)
from entrypoints.http.deps import Id, Provided, Req
from entrypoints.http.security import ADMINS, roles

Users = Provided[UserAdministration]
ApiKeys = Provided[ApiKeyAdministration]
Gate = Provided[AccessGate]
From = Provided[Origin]


@dataclass
class UserForm:
    email: str
    password: str
    display_name: str = ""
    roles: str | list[str] = ""


@dataclass
class RolesForm:
    roles: str | list[str] = ""


@dataclass
class DisableForm:
    disabled: str = "true"


@dataclass
class KeyForm:
    name: str
    roles: str | list[str] = ""
    expires_in_days: str = ""


class SettingsAccessController(Controller):
    path = SETTINGS
    opt = roles(*ADMINS)
    include_in_schema = False
    exception_handlers = SETTINGS_ERRORS

    def _users(self, request: Req, settings: Reads, **values: Any) -> Template:
        return page("fragments/settings_users.html", request,
                    **settings.users(request.user.tenant_id), **values)

    def _keys(self, request: Req, settings: Reads, **values: Any) -> Template:
        return page("fragments/settings_keys.html", request,
                    **settings.keys(request.user.tenant_id), **values)

    # -- users ---------------------------------------------------------------------------------

    @post("/users", sync_to_thread=True, status_code=200)
    def add_user(self, request: Req, data: Form[UserForm], settings: Reads, users: Users,
                 origin: From) -> Template:
        who = request.user
        try:
            added = users.create(who.tenant_id, who.actor, origin, CreateUser(
                data.email.strip(), data.password, chosen_roles(data.roles),
                data.display_name.strip() or None))
        except DomainError as refused:
            return self._users(request, settings, error=refused.message,
                               entered={"email": data.email, "display_name": data.display_name,
                                        "roles": chosen_roles(data.roles)})
        return self._users(request, settings, notice=f"{added.email} was added.")

    @post("/users/{user_id:uuid}/roles", sync_to_thread=True, status_code=200)
    def change_roles(self, request: Req, user_id: Id, data: Form[RolesForm], settings: Reads,
                     users: Users, gate: Gate, origin: From) -> Template:
        return self._update(request, settings, users, gate, origin,
                            UpdateUser(user_id, chosen_roles(data.roles), None, None, None),
                            "Roles changed.")

    @post("/users/{user_id:uuid}/disable", sync_to_thread=True, status_code=200)
    def disable(self, request: Req, user_id: Id, data: Form[DisableForm], settings: Reads,
                users: Users, gate: Gate, origin: From) -> Template:
        disabled = data.disabled != "false"
        return self._update(request, settings, users, gate, origin,
                            UpdateUser(user_id, None, disabled, None, None),
                            "Disabled: they are logged out." if disabled else "Enabled.")

    def _update(self, request: Req, settings: Reads, users: UserAdministration,
                gate: AccessGate, origin: Origin, change: UpdateUser, notice: str) -> Template:
        who = request.user
        try:
            users.update(who.tenant_id, who.actor, origin, change)
        except DomainError as refused:
            return self._users(request, settings, error=refused.message)
        gate.forget_user(who.tenant_id, change.user_id)
        gate.forget_keys()  # a demoted or disabled admin's keys were revoked
        return self._users(request, settings, notice=notice)

    # -- API keys ------------------------------------------------------------------------------

    @post("/api-keys", sync_to_thread=True, status_code=200)
    def create_key(self, request: Req, data: Form[KeyForm], settings: Reads,
                   api_keys: ApiKeys, origin: From) -> Template:
        who = request.user
        days = data.expires_in_days.strip()
        if days and not (days.isdigit() and 1 <= int(days) <= 3650):
            return self._keys(request, settings, error="Expiry: a number of days from 1 to "
                                                       "3650, or empty for a key that never "
                                                       "expires.")
        try:
            created = api_keys.create(who.tenant_id, who.actor, who.roles, origin, CreateApiKey(
                data.name, chosen_roles(data.roles), None, int(days) if days else None))
        except DomainError as refused:
            return self._keys(request, settings, error=refused.message)
        return self._keys(request, settings, created=created)

    @post("/api-keys/{key_id:uuid}/revoke", sync_to_thread=True, status_code=200)
    def revoke_key(self, request: Req, key_id: Id, settings: Reads, api_keys: ApiKeys,
                   gate: Gate, origin: From) -> Template:
        who = request.user
        api_keys.revoke(who.tenant_id, who.actor, origin, key_id)
        gate.forget_keys()
        return self._keys(request, settings, notice="The key was revoked.")
