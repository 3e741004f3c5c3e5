"""Knowledge and memory: the embedder, the memory index's search, knowledge documents."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.embeddings.hashing import HashingEmbedder
from adapters.observability.memory import observe_search
from adapters.projections.tables import EMBEDDING_DIMENSIONS
from adapters.readmodels.engine import ReadModelReader
from adapters.readmodels.memories import PgContactMemories, PgMemoryCandidates
from application import knowledge
from application.memories import MemorySearch, Scoring
from application.projections.knowledge import KnowledgeProjection
from application.projections.memories import MemoryProjection
from domain.ports import Clock, Embedder
from entrypoints.settings import Settings


def embedder_of(settings: Settings) -> Embedder:
    """The configured embedder; every one produces EMBEDDING_DIMENSIONS dimensions."""
    if settings.embedder == "openai":
        from adapters.embeddings.openai import OpenAIEmbedder

        return OpenAIEmbedder(api_key=settings.openai_api_key or "missing",
                              base_url=settings.openai_base_url,
                              model=settings.embedding_model, dimensions=EMBEDDING_DIMENSIONS)
    if settings.embedder == "sentence-transformers":
        from adapters.embeddings.local_model import SentenceTransformerEmbedder

        local = SentenceTransformerEmbedder(settings.embedding_model)
        if local.dimensions != EMBEDDING_DIMENSIONS:
            raise ValueError(f"the memory table holds {EMBEDDING_DIMENSIONS}-dimensional "
                             f"vectors; {settings.embedding_model} makes {local.dimensions}")
        return local
    return HashingEmbedder(EMBEDDING_DIMENSIONS)


class KnowledgeContainer(containers.DeclarativeContainer):
    settings: providers.Dependency[Settings] = providers.Dependency()
    clock: providers.Dependency[Clock] = providers.Dependency()
    reader: providers.Dependency[ReadModelReader] = providers.Dependency()

    handlers = providers.Object(knowledge.COMMAND_HANDLERS)
    embedder = providers.Singleton(embedder_of, settings)
    memory_search = providers.Singleton(
        MemorySearch, providers.Singleton(PgMemoryCandidates, reader,
                                          settings.provided.memory_ef_search),
        embedder, clock,
        providers.Singleton(Scoring, half_life_days=settings.provided.memory_half_life_days),
        providers.Object(observe_search))
    contact_memories = providers.Singleton(PgContactMemories, reader)
    memory_projection = providers.Singleton(MemoryProjection, embedder)
    knowledge_projection = providers.Singleton(KnowledgeProjection)
