"""The tenant's own inbound-email secret (admins; ADR 0082): rotated and shown once, its
status read without it."""

from __future__ import annotations

from litestar import Controller, get, post

from application.identity.access import Origin
from application.identity.email_secrets import EmailSecretAdministration
from entrypoints.http.deps import Provided, Req
from entrypoints.http.identity.schemas import EmailSecretCreatedOut, EmailSecretOut
from entrypoints.http.security import ADMINS, roles

EmailSecrets = Provided[EmailSecretAdministration]
From = Provided[Origin]


class EmailSecretController(Controller):
    path = "/v1/inbound-email-secret"
    tags = ["access"]
    opt = roles(*ADMINS)

    @post("/", status_code=201, sync_to_thread=True,
          summary="Rotate the tenant's inbound-email secret",
          description="A new secret replaces the tenant's at once: inbound email signed with "
                      "the previous one (or with FRONTDESK_EMAIL_WEBHOOK_SECRET) is refused from "
                      "now on. The answer holds it once; it is stored wrapped by the "
                      "key-encryption key. Recorded in the audit log as "
                      "`email_secret.rotated`.")
    def rotate(self, request: Req, email_secrets: EmailSecrets,
               origin: From) -> EmailSecretCreatedOut:
        created = email_secrets.rotate(request.user.tenant_id, request.user.actor, origin)
        return EmailSecretCreatedOut(secret=created.secret, rotated_at=created.rotated_at)

    @get("/", sync_to_thread=True, summary="Which secret verifies the tenant's inbound email",
         description="`tenant` (its own, since `rotated_at`), `environment` "
                     "(FRONTDESK_EMAIL_WEBHOOK_SECRET) or `none` (inbound email answers 503). "
                     "Never the secret.")
    def status(self, request: Req, email_secrets: EmailSecrets) -> EmailSecretOut:
        status = email_secrets.status(request.user.tenant_id)
        return EmailSecretOut(source=status.source, rotated_at=status.rotated_at)
