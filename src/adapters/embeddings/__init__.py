"""Embedders: the offline hashing default, OpenAI, sentence-transformers (optional extra)."""

__all__: list[str] = []
