"""Users and API keys of a tenant (admins), with every change in the audit log."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import JSONBody

from adapters.identity.gate import AccessGate
from application.identity.access import (
    AccessDirectory,
    ApiKeyAdministration,
    ApiKeyView,
    CreateApiKey,
    CreateUser,
    Origin,
    UpdateUser,
    UserAdministration,
    UserView,
)
from domain.shared import NotFound
from entrypoints.http.deps import Id, Provided, Req
from entrypoints.http.identity.schemas import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyList,
    ApiKeyOut,
    UserIn,
    UserList,
    UserOut,
    UserPatch,
)
from entrypoints.http.security import ADMINS, SUPERVISORS, roles

Users = Provided[UserAdministration]
ApiKeys = Provided[ApiKeyAdministration]
Directory = Provided[AccessDirectory]
Gate = Provided[AccessGate]
From = Provided[Origin]


def user_out(user: UserView) -> UserOut:
    return UserOut(id=user.id, email=user.email, display_name=user.display_name,
                   roles=list(user.roles), disabled=user.disabled, created_at=user.created_at,
                   updated_at=user.updated_at)


def key_out(key: ApiKeyView) -> ApiKeyOut:
    return ApiKeyOut(id=key.id, prefix=key.prefix, name=key.name, roles=list(key.roles),
                     created_by=key.created_by, created_at=key.created_at,
                     revoked_at=key.revoked_at, expires_at=key.expires_at,
                     last_used_at=key.last_used_at)


class UsersController(Controller):
    path = "/v1/users"
    tags = ["access"]
    opt = roles(*ADMINS)

    @post("/", status_code=201, sync_to_thread=True, summary="Add a user",
          description="A user logs in with email and password and acts with their roles. "
                      "409 `email-taken` if the tenant has the email.")
    def create(self, request: Req, data: JSONBody[UserIn], users: Users,
               origin: From) -> UserOut:
        return user_out(users.create(
            request.user.tenant_id, request.user.actor,
            origin,
            CreateUser(data.email, data.password, tuple(data.roles), data.display_name)))

    @get("/", sync_to_thread=True, opt=roles(*SUPERVISORS), summary="List users")
    def page(self, request: Req, directory: Directory) -> UserList:
        return UserList(items=[user_out(u) for u in
                               directory.users(request.user.tenant_id)])

    @get("/{user_id:uuid}", sync_to_thread=True, opt=roles(*SUPERVISORS), summary="Get a user")
    def get_one(self, request: Req, user_id: Id, directory: Directory) -> UserOut:
        user = directory.user(request.user.tenant_id, user_id)
        if user is None:
            raise NotFound("user not found")
        return user_out(user)

    @patch("/{user_id:uuid}", sync_to_thread=True,
           summary="Change a user's roles, password, name, or disable them",
           description="Changing roles or the password, or disabling, revokes the user's "
                       "tokens at once (they log in again). Disabling an admin or taking the "
                       "admin role away also revokes every API key they created (and the keys "
                       "those keys created), at once in this process and within 10 s in "
                       "every other. The last enabled admin cannot be demoted or disabled "
                       "(409 `last-admin`).")
    def update(self, request: Req, user_id: Id, data: JSONBody[UserPatch], users: Users,
               gate: Gate, origin: From) -> UserOut:
        updated = users.update(
            request.user.tenant_id, request.user.actor,
            origin,
            UpdateUser(user_id, tuple(data.roles) if data.roles is not None else None,
                       data.disabled, data.password, data.display_name))
        gate.forget_user(request.user.tenant_id, user_id)
        gate.forget_keys()  # a demoted or disabled admin's keys were revoked
        return user_out(updated)


class ApiKeysController(Controller):
    path = "/v1/api-keys"
    tags = ["access"]
    opt = roles(*ADMINS)

    @post("/", status_code=201, sync_to_thread=True, summary="Create an API key for an integration",
          description="The answer holds the key once; only its hash is stored. A key acts with "
                      "its roles (never more than its creator's) as actor `api_key:<id>`. "
                      "With `expires_at` or `expires_in_days` it is refused (401) after that "
                      "time; without, it never expires. It is revoked when its creator is "
                      "disabled or loses the admin role.")
    def create(self, request: Req, data: JSONBody[ApiKeyIn], api_keys: ApiKeys,
               origin: From) -> ApiKeyCreatedOut:
        created = api_keys.create(
            request.user.tenant_id, request.user.actor, request.user.roles,
            origin,
            CreateApiKey(data.name, tuple(data.roles), data.expires_at, data.expires_in_days))
        return ApiKeyCreatedOut(**key_out(created.view).model_dump(), key=created.key)

    @get("/", sync_to_thread=True, summary="List API keys",
         description="Prefixes, names, roles, expiry, revocation and last use (to the "
                     "minute); never the keys.")
    def page(self, request: Req, directory: Directory) -> ApiKeyList:
        return ApiKeyList(items=[key_out(k) for k in directory.keys(
            request.user.tenant_id)])

    @delete("/{key_id:uuid}", status_code=204, sync_to_thread=True, summary="Revoke an API key",
            description="At once in this process, within 10 s in every other.")
    def revoke(self, request: Req, key_id: Id, api_keys: ApiKeys, gate: Gate,
               origin: From) -> None:
        api_keys.revoke(request.user.tenant_id, request.user.actor,
                               origin, key_id)
        gate.forget_keys()
