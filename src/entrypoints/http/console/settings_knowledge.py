"""Settings: the knowledge base. Add a document typed in, upload one (PDF, Markdown or text,
read as ``POST /v1/knowledge/files`` reads it), edit one, or remove it; the same commands as
the API, through the bus. A file that cannot be taken is named beside the form, with nothing
stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from adapters.knowledge.files import (
    MAX_UPLOAD_BYTES,
    FileTooLarge,
    UnreadableFile,
    UnsupportedFile,
    read_document,
)
from application.knowledge import AddKnowledge, RemoveKnowledge, ReviseKnowledge
from domain.shared import NotFound
from entrypoints.http.commands import context
from entrypoints.http.console.pages import attempt, page
from entrypoints.http.console.settings import (
    KNOWLEDGE_MODELS,
    SETTINGS,
    SETTINGS_ERRORS,
    Form,
    Reads,
)
from entrypoints.http.deps import Bus, Id, Req
from entrypoints.http.deps import Reads as ReadSide
from entrypoints.http.security import ADMINS, roles

FRAGMENT = "fragments/settings_knowledge.html"


@dataclass
class DocumentForm:
    title: str
    text: str


@dataclass
class UploadForm:
    file: UploadFile
    title: str = ""


Upload = Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)]


class SettingsKnowledgeController(Controller):
    path = f"{SETTINGS}/knowledge"
    opt = roles(*ADMINS)
    include_in_schema = False
    exception_handlers = SETTINGS_ERRORS

    def _section(self, request: Req, settings: Reads, **values: Any) -> Template:
        return page(FRAGMENT, request, **settings.knowledge(request.user.tenant_id), **values)

    @post("/", sync_to_thread=True, status_code=200)
    def add(self, request: Req, data: Form[DocumentForm], settings: Reads, bus: Bus,
            reads: ReadSide) -> Template:
        done = attempt(bus, AddKnowledge(data.title, data.text), context(request), reads,
                       KNOWLEDGE_MODELS)
        if done.error:
            return self._section(request, settings, error=done.error, entered=data)
        return self._section(request, settings, notice=f"“{data.title.strip()}” was added.")

    @post("/files", sync_to_thread=True, status_code=200,
          request_max_body_size=4 * MAX_UPLOAD_BYTES)
    def upload(self, request: Req, data: Upload, settings: Reads, bus: Bus,
               reads: ReadSide) -> Template:
        """A file over the limit is read only as far as the limit, then refused here with a
        message (the route takes a larger body so that the page, not the framework, says so)."""
        name = data.file.filename or None
        try:
            document = read_document(name, data.file.file.read(MAX_UPLOAD_BYTES + 1))
        except FileTooLarge:
            return self._section(request, settings, error=(
                f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: nothing was "
                "stored."))
        except UnsupportedFile as refused:
            return self._section(request, settings, error=(
                f"{name} cannot be taken ({refused}). Upload a PDF, a Markdown (.md) or a "
                "plain-text (.txt) file: nothing was stored."))
        except UnreadableFile as refused:
            return self._section(request, settings, error=(
                f"{name} cannot be read: {refused}. Nothing was stored."))
        title = data.title.strip() or name or "Untitled document"
        done = attempt(bus, AddKnowledge(title, document.text, name), context(request), reads,
                       KNOWLEDGE_MODELS)
        if done.error:
            return self._section(request, settings, error=f"{name}: {done.error}")
        return self._section(request, settings, notice=f"{name} was added as “{title}”.")

    @get("/{document_id:uuid}/edit", sync_to_thread=True)
    def edit(self, request: Req, document_id: Id, settings: Reads) -> Template:
        document = settings.document(request.user.tenant_id, document_id)
        if document is None:
            raise NotFound("document not found")
        return self._section(request, settings, editing=document)

    @post("/{document_id:uuid}", sync_to_thread=True, status_code=200)
    def revise(self, request: Req, document_id: Id, data: Form[DocumentForm],
               settings: Reads, bus: Bus, reads: ReadSide) -> Template:
        current = settings.document(request.user.tenant_id, document_id)
        source = None if current is None else current["source"]
        done = attempt(bus, ReviseKnowledge(document_id, data.title, data.text, source),
                       context(request), reads, KNOWLEDGE_MODELS)
        if done.error:
            return self._section(request, settings, error=done.error, editing={
                "id": document_id, "title": data.title, "text": data.text})
        return self._section(request, settings, notice=f"“{data.title.strip()}” was saved.")

    @post("/{document_id:uuid}/remove", sync_to_thread=True, status_code=200)
    def remove(self, request: Req, document_id: Id, settings: Reads, bus: Bus,
               reads: ReadSide) -> Template:
        done = attempt(bus, RemoveKnowledge(document_id), context(request), reads,
                       KNOWLEDGE_MODELS)
        return self._section(request, settings, error=done.error,
                             notice=None if done.error else "The document was removed.")
