"""Knowledge retrieval over the knowledge_passages read model."""

__all__: list[str] = []
