"""The offline default embedder: deterministic feature hashing, lexical, 384 dimensions.

It is NOT a semantic model: two texts are close when they share words (and, more weakly, word
fragments), not when they mean the same thing. It needs no model file and no network, gives the
same vector on every machine and in every process, and makes memory search useful for names,
products and phrasing the customer repeats. Configure an OpenAI-compatible or
sentence-transformers embedder for meaning.

Features: each lower-cased word (weight 1.0) and each character trigram of ``^word$`` (weight
0.25), hashed with BLAKE2b to a dimension and a sign, summed, then L2-normalised.
"""

from __future__ import annotations

import math
import re
from hashlib import blake2b

DIMENSIONS = 384
MODEL = "hashing-384@1"
_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        self._dimensions = dimensions
        self._cache: dict[str, tuple[int, float]] = {}

    @property
    def model(self) -> str:
        return MODEL if self._dimensions == DIMENSIONS else f"hashing-{self._dimensions}@1"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    def _slot(self, feature: str) -> tuple[int, float]:
        slot = self._cache.get(feature)
        if slot is None:
            digest = int.from_bytes(blake2b(feature.encode(), digest_size=8).digest(), "little")
            slot = (digest % self._dimensions, 1.0 if digest >> 63 else -1.0)
            if len(self._cache) < 200_000:
                self._cache[feature] = slot
        return slot

    def embed_one(self, text: str) -> list[float]:
        vector = [0.0] * self._dimensions
        for word in _WORD.findall(text.lower()):
            index, sign = self._slot("w:" + word)
            vector[index] += sign
            marked = f"^{word}$"
            for start in range(len(marked) - 2):
                index, sign = self._slot("g:" + marked[start:start + 3])
                vector[index] += 0.25 * sign
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector] if norm else vector

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_one(text) for text in texts]
