"""Tenant provisioning (admin API, ADMIN_API_TOKEN)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody

from application.identity import ProvisionTenant
from entrypoints.http.deps import Identity
from entrypoints.http.schemas import TenantCreate, TenantOut
from entrypoints.http.security import check_admin_token


class AdminController(Controller):
    path = "/v1/admin"
    tags = ["admin"]
    opt = {"public": True}

    @post("/tenants", status_code=201, sync_to_thread=True, summary="Provision a tenant",
          description="Creates a tenant and its first admin user. Authorised by "
                      "`Authorization: Bearer $ADMIN_API_TOKEN` (503 when the token is not "
                      "configured). 409 when the slug exists.",
          security=[{"AdminToken": []}])
    def create_tenant(self, request: Request[Any, Any, Any], data: JSONBody[TenantCreate],
                      identity: Identity) -> TenantOut:
        check_admin_token(request, identity.admin_token)
        created = identity.provision(ProvisionTenant(
            name=data.name, slug=data.slug, admin_email=data.admin_email,
            admin_password=data.admin_password))
        return TenantOut(id=created.id, slug=created.slug, name=created.name)
