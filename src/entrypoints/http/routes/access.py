"""Users and API keys of a tenant (admins), with every change in the audit log."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import JSONBody

from application.identity.access import (
    ApiKeyView,
    CreateApiKey,
    CreateUser,
    Origin,
    UpdateUser,
    UserView,
)
from domain.shared import NotFound
from entrypoints.http.deps import Access, Id
from entrypoints.http.ratelimit import client_ip
from entrypoints.http.schemas_access import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyList,
    ApiKeyOut,
    UserIn,
    UserList,
    UserOut,
    UserPatch,
)
from entrypoints.http.security import SUPERVISORS, Principal, roles, roles_text

ADMINS = frozenset({"admin"})


def origin_of(request: Request[Any, Any, Any], trust_forwarded: bool) -> Origin:
    agent = request.headers.get("user-agent")
    return Origin(client_ip(request.scope, trust_forwarded), agent[:300] if agent else None)


def user_out(user: UserView) -> UserOut:
    return UserOut(id=user.id, email=user.email, display_name=user.display_name,
                   roles=list(user.roles), disabled=user.disabled, created_at=user.created_at,
                   updated_at=user.updated_at)


def key_out(key: ApiKeyView) -> ApiKeyOut:
    return ApiKeyOut(id=key.id, prefix=key.prefix, name=key.name, roles=list(key.roles),
                     created_by=key.created_by, created_at=key.created_at,
                     revoked_at=key.revoked_at)


class UsersController(Controller):
    path = "/v1/users"
    tags = ["access"]

    @post("/", status_code=201, sync_to_thread=True, opt=roles(*ADMINS), summary="Add a user",
          description="A user logs in with email and password and acts with their roles. "
                      "409 `email-taken` if the tenant has the email. " + roles_text(ADMINS))
    def create(self, request: Request[Principal, Any, Any], data: JSONBody[UserIn],
               access: Access) -> UserOut:
        return user_out(access.users.create(
            request.user.tenant_id, request.user.actor,
            origin_of(request, access.trust_forwarded),
            CreateUser(data.email, data.password, tuple(data.roles), data.display_name)))

    @get("/", sync_to_thread=True, opt=roles(*SUPERVISORS), summary="List users",
         description=roles_text(SUPERVISORS))
    def page(self, request: Request[Principal, Any, Any], access: Access) -> UserList:
        return UserList(items=[user_out(u) for u in
                               access.directory.users(request.user.tenant_id)])

    @get("/{user_id:uuid}", sync_to_thread=True, opt=roles(*SUPERVISORS), summary="Get a user",
         description=roles_text(SUPERVISORS))
    def get_one(self, request: Request[Principal, Any, Any], user_id: Id,
                access: Access) -> UserOut:
        user = access.directory.user(request.user.tenant_id, user_id)
        if user is None:
            raise NotFound("user not found")
        return user_out(user)

    @patch("/{user_id:uuid}", sync_to_thread=True, opt=roles(*ADMINS),
           summary="Change a user's roles, password, name, or disable them",
           description="Changing roles or the password, or disabling, revokes the user's "
                       "tokens at once (they log in again). The last enabled admin cannot be "
                       "demoted or disabled (409 `last-admin`). " + roles_text(ADMINS))
    def update(self, request: Request[Principal, Any, Any], user_id: Id, data: JSONBody[UserPatch],
               access: Access) -> UserOut:
        updated = access.users.update(
            request.user.tenant_id, request.user.actor,
            origin_of(request, access.trust_forwarded),
            UpdateUser(user_id, tuple(data.roles) if data.roles is not None else None,
                       data.disabled, data.password, data.display_name))
        access.gate.forget_user(request.user.tenant_id, user_id)
        return user_out(updated)


class ApiKeysController(Controller):
    path = "/v1/api-keys"
    tags = ["access"]

    @post("/", status_code=201, sync_to_thread=True, opt=roles(*ADMINS),
          summary="Create an API key for an integration",
          description="The answer holds the key once; only its hash is stored. A key acts with "
                      "its roles (never more than its creator's) as actor `api_key:<id>`. "
                      + roles_text(ADMINS))
    def create(self, request: Request[Principal, Any, Any], data: JSONBody[ApiKeyIn],
               access: Access) -> ApiKeyCreatedOut:
        created = access.api_keys.create(
            request.user.tenant_id, request.user.actor, request.user.roles,
            origin_of(request, access.trust_forwarded),
            CreateApiKey(data.name, tuple(data.roles)))
        return ApiKeyCreatedOut(**key_out(created.view).model_dump(), key=created.key)

    @get("/", sync_to_thread=True, opt=roles(*ADMINS), summary="List API keys",
         description="Prefixes, names and roles; never the keys. " + roles_text(ADMINS))
    def page(self, request: Request[Principal, Any, Any], access: Access) -> ApiKeyList:
        return ApiKeyList(items=[key_out(k) for k in access.directory.keys(
            request.user.tenant_id)])

    @delete("/{key_id:uuid}", status_code=204, sync_to_thread=True, opt=roles(*ADMINS),
            summary="Revoke an API key",
            description="At once in this process, within 10 s in every other. "
                        + roles_text(ADMINS))
    def revoke(self, request: Request[Principal, Any, Any], key_id: Id, access: Access) -> None:
        access.api_keys.revoke(request.user.tenant_id, request.user.actor,
                               origin_of(request, access.trust_forwarded), key_id)
        access.gate.forget_keys()
