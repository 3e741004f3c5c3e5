"""A tenant's widget keys (admins): create with the origins allowed to embed the widget, list,
revoke; each change in the audit log (ADR 0084)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar import Controller, delete, get, post
from litestar.params import JSONBody
from pydantic import BaseModel, Field

from application.identity.access import Origin
from application.identity.widget import WidgetKeyAdministration, WidgetKeyView
from entrypoints.http.deps import Id, Provided, Req
from entrypoints.http.schemas import In
from entrypoints.http.security import ADMINS, roles

WidgetKeys = Provided[WidgetKeyAdministration]
From = Provided[Origin]


class WidgetKeyIn(In):
    name: str = Field(min_length=1, max_length=100, examples=["Website"],
                      description="What the key is for")
    allowed_origins: list[str] = Field(
        min_length=1, max_length=20, examples=[["https://bright-smile.example"]],
        description="Origins (`scheme://host[:port]`) whose pages may embed the widget and "
                    "send its messages")


class WidgetKeyOut(BaseModel):
    id: UUID
    key: str = Field(description="Public: it goes in the page's script tag")
    name: str
    allowed_origins: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, view: WidgetKeyView) -> WidgetKeyOut:
        return cls(id=view.id, key=view.key, name=view.name,
                   allowed_origins=list(view.allowed_origins), created_by=view.created_by,
                   created_at=view.created_at, revoked_at=view.revoked_at)


class WidgetKeyList(BaseModel):
    items: list[WidgetKeyOut]


class WidgetKeysController(Controller):
    path = "/v1/widget-keys"
    tags = ["access"]
    opt = roles(*ADMINS)

    @post("/", status_code=201, sync_to_thread=True, summary="Create a web chat widget key",
          description="A public key (`fdw_…`, not a secret) for the web chat widget on the "
                      "tenant's website, with the origins allowed to embed it and send its "
                      "messages. Embed with `<script src=\"/widget/v1.js?key=…\" async>`.")
    def create(self, request: Req, data: JSONBody[WidgetKeyIn], widget_keys: WidgetKeys,
               origin: From) -> WidgetKeyOut:
        return WidgetKeyOut.of(widget_keys.create(
            request.user.tenant_id, request.user.actor, origin, data.name,
            data.allowed_origins))

    @get("/", sync_to_thread=True, summary="List web chat widget keys")
    def page(self, request: Req, widget_keys: WidgetKeys) -> WidgetKeyList:
        return WidgetKeyList(items=[WidgetKeyOut.of(k) for k in
                                    widget_keys.keys(request.user.tenant_id)])

    @delete("/{key_id:uuid}", status_code=204, sync_to_thread=True,
            summary="Revoke a web chat widget key",
            description="The widget stops at once: its page, new chats and messages are "
                        "refused.")
    def revoke(self, request: Req, key_id: Id, widget_keys: WidgetKeys, origin: From) -> None:
        widget_keys.revoke(request.user.tenant_id, request.user.actor, origin, key_id)
