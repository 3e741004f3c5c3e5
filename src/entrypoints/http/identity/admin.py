"""Tenant provisioning (admin API, ADMIN_API_TOKEN)."""

from __future__ import annotations

from litestar import Controller, post
from litestar.params import JSONBody

from application.identity import ProvisionTenant, ProvisionTenantHandler
from entrypoints.http.deps import Provided, Reads, Req
from entrypoints.http.identity.schemas import TenantCreate, TenantOut
from entrypoints.http.security import check_admin_token


class AdminController(Controller):
    path = "/v1/admin"
    tags = ["admin"]
    opt = {"public": True}

    @post("/tenants", status_code=201, sync_to_thread=True, summary="Provision a tenant",
          description="Creates a tenant and its first admin user. Authorised by "
                      "`Authorization: Bearer $ADMIN_API_TOKEN` (503 when the token is not "
                      "configured). 409 when the slug exists. Audited in the new tenant's "
                      "trail (`tenant.provisioned` by `admin_token`, with the IP and user "
                      "agent).",
          security=[{"AdminToken": []}])
    def create_tenant(self, request: Req, data: JSONBody[TenantCreate],
                      provision_tenant: Provided[ProvisionTenantHandler],
                      admin_token: Provided[str | None], reads: Reads) -> TenantOut:
        check_admin_token(request, admin_token)
        created = provision_tenant(ProvisionTenant(
            name=data.name, slug=data.slug, admin_email=data.admin_email,
            admin_password=data.admin_password))
        reads.audit(request, "tenant.provisioned", "tenant", created.id, tenant_id=created.id,
                    actor="admin_token", detail={"slug": created.slug,
                                                 "admin_user_id": str(created.admin_user_id)})
        return TenantOut(id=created.id, slug=created.slug, name=created.name)
