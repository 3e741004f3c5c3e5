"""Knowledge retrieval: lexical, over the knowledge_passages read model, or from the memory
index (``FRONTDESK_RETRIEVER``)."""

RETRIEVAL_MODELS = ("knowledge_passages", "memories")
"""The read models either retriever reads: a client's own writes are visible to a search once
both have them."""

__all__ = ["RETRIEVAL_MODELS"]
