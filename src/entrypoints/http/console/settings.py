"""The owner's Settings page: users and their roles, API keys, the assistant's settings and
the knowledge base, for admins (ADR 0089). It reads what the API reads and changes things
through the same application services and commands; each section is a fragment that its
forms re-render. The actions are in ``settings_access``, ``settings_assistant`` and
``settings_knowledge``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, QueryParameter
from litestar.response import Template

from adapters.identity.assistant_settings import PostgresAssistantSettings
from adapters.readmodels.conversations import SqlConversationQueries
from application.identity.access import AccessDirectory
from entrypoints.http.console.pages import PAGE_ERRORS, page
from entrypoints.http.deps import Provided, Req
from entrypoints.http.security import ADMINS, CONSOLE, roles

SETTINGS = f"{CONSOLE}/settings"
ROLES = ("admin", "supervisor", "agent", "analyst")
PER_PAGE = 20
DOCUMENTS_SHOWN = 100
KNOWLEDGE_MODELS = ("knowledge_passages", "memories")
Page = Annotated[int, QueryParameter(name="page", ge=1, le=10_000)]
T = TypeVar("T")
Form = Annotated[T, Body(media_type=RequestEncodingType.URL_ENCODED)]


def refused_page(request: Request[Any, Any, Any], _: PermissionDeniedException) -> Response[Any]:
    return page("error.html", request, 403, title="Not for your role",
                detail="Only an admin of this organisation can change its settings.")


SETTINGS_ERRORS: dict[Any, Any] = {**PAGE_ERRORS, PermissionDeniedException: refused_page}
"""A person without the admin role gets a page that says so (403), not problem+json."""


def one_page(items: list[Any], number: int) -> dict[str, Any]:
    pages = max(1, -(-len(items) // PER_PAGE))
    number = min(max(number, 1), pages)
    return {"items": items[(number - 1) * PER_PAGE:number * PER_PAGE], "page": number,
            "pages": pages, "total": len(items)}


def chosen_roles(value: str | list[str]) -> tuple[str, ...]:
    """The roles ticked in a form (one box ticked arrives as a string)."""
    picked = [value] if isinstance(value, str) else value
    return tuple(r for r in ROLES if r in picked)


@dataclass(frozen=True)
class SettingsReads:
    directory: AccessDirectory
    assistant: PostgresAssistantSettings
    documents: SqlConversationQueries

    def users(self, tenant_id: UUID, number: int = 1) -> dict[str, Any]:
        everyone = sorted(self.directory.users(tenant_id), key=lambda u: u.email)
        return {"users": one_page(everyone, number), "roles": ROLES}

    def keys(self, tenant_id: UUID, number: int = 1) -> dict[str, Any]:
        keys = sorted(self.directory.keys(tenant_id),
                      key=lambda k: (k.revoked_at is not None, -k.created_at.timestamp()))
        return {"keys": one_page(keys, number), "roles": ROLES}

    def assistant_form(self, tenant_id: UUID) -> dict[str, Any]:
        raw = self.assistant.raw(tenant_id)
        current = self.assistant.for_tenant(tenant_id)
        return {"form": {
            "assistant_name": raw.get("assistant_name") or "",
            "persona": raw.get("persona") or "",
            "rules": "\n".join(current.rules),
            "handoff_keywords": ", ".join(current.handoff.keywords),
            "max_ai_turns": str(current.handoff.max_ai_turns),
            "min_confidence": str(current.handoff.min_confidence),
            "context_token_budget": str(current.context_token_budget),
            "max_reply_tokens": str(current.max_reply_tokens),
            "auto_reply": current.auto_reply}, "defaults": current}

    def knowledge(self, tenant_id: UUID) -> dict[str, Any]:
        return {"documents": self.documents.documents(tenant_id, limit=DOCUMENTS_SHOWN)}

    def document(self, tenant_id: UUID, document_id: UUID) -> dict[str, Any] | None:
        passages = self.documents.passages(tenant_id, document_id)
        if not passages:
            return None
        return {"id": document_id, "title": passages[0]["title"],
                "source": passages[0]["source"],
                "text": "\n\n".join(p["text"] for p in passages)}


Reads = Provided[SettingsReads]


class SettingsController(Controller):
    path = SETTINGS
    opt = roles(*ADMINS)
    include_in_schema = False
    exception_handlers = SETTINGS_ERRORS

    @get("/", sync_to_thread=True)
    def settings(self, request: Req, settings: Reads, users_page: Annotated[
            int, QueryParameter(name="users", ge=1, le=10_000)] = 1,
                 keys_page: Annotated[int, QueryParameter(name="keys", ge=1, le=10_000)] = 1
                 ) -> Template:
        tenant = request.user.tenant_id
        values = {**settings.users(tenant, users_page), **settings.keys(tenant, keys_page),
                  **settings.assistant_form(tenant), **settings.knowledge(tenant)}
        return page("settings.html", request, section="settings", **values)
