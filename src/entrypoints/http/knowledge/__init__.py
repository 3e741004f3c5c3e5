"""Knowledge and memory: knowledge-base documents and the memory search of a contact."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from adapters.knowledge.files import FileTooLarge, UnreadableFile, UnsupportedFile
from entrypoints.container import Container
from entrypoints.http.knowledge.routes import KnowledgeController, MemoriesController
from entrypoints.http.problems import problem
from entrypoints.http.slices import Slice


def _provide(root: Container) -> dict[str, object]:
    return {"documents": root.conversations.queries(),
            "passages": root.conversations.retriever(),
            "contacts": root.leads.contact_queries(),
            "memories": root.knowledge.memory_search()}


SLICE = Slice(
    "knowledge", [KnowledgeController, MemoriesController],
    [Tag(name="assistant", description="Knowledge base, assistant settings, AI usage")],
    provide=_provide,
    problems={UnsupportedFile: lambda _, error: problem(415, None, str(error)),
              FileTooLarge: lambda _, error: problem(413, None, str(error)),
              UnreadableFile: lambda _, error: problem(422, "unreadable-file", str(error))})
