"""Embedder adapters: the real OpenAI SDK against a local fake server; sentence-transformers
when its optional extra is installed."""

from __future__ import annotations

import importlib.util
import os

import pytest

from adapters.embeddings.hashing import HashingEmbedder
from adapters.embeddings.openai import OpenAIEmbedder
from tests.fake_openai_embeddings import FakeOpenAIEmbeddings


def test_openai_embeddings_through_the_sdk() -> None:
    with FakeOpenAIEmbeddings() as fake:
        embedder = OpenAIEmbedder(api_key="sk-test", base_url=fake.base_url,
                                  model="text-embedding-3-small", dimensions=384)
        vectors = embedder.embed(["teeth whitening", "flight to Lisbon"])
    expected = HashingEmbedder().embed(["teeth whitening", "flight to Lisbon"])
    for got, want in zip(vectors, expected, strict=True):
        assert len(got) == 384
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 1e-6  # float32
    [request] = fake.requests
    assert request["path"] == "/v1/embeddings"
    assert request["body"]["model"] == "text-embedding-3-small"
    assert request["body"]["input"] == ["teeth whitening", "flight to Lisbon"]
    assert request["body"]["dimensions"] == 384
    assert request["auth"] == "Bearer sk-test"
    assert embedder.model == "openai:text-embedding-3-small@384"


def test_openai_transient_errors_are_retried() -> None:
    with FakeOpenAIEmbeddings() as fake:
        fake.fail_next = 2
        embedder = OpenAIEmbedder(api_key="sk-test", base_url=fake.base_url,
                                  model="text-embedding-3-small", dimensions=384)
        [vector] = embedder.embed(["retry me"])
    want = HashingEmbedder().embed_one("retry me")
    assert max(abs(a - b) for a, b in zip(vector, want, strict=True)) < 1e-6
    assert len(fake.requests) == 3


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None,
                    reason="the optional extra 'local-embeddings' (sentence-transformers) is "
                           "not installed; the default hashing embedder is fully tested")
def test_sentence_transformers_embeds_offline() -> None:
    from adapters.embeddings.local_model import SentenceTransformerEmbedder

    model = os.environ.get("FRONTDESK_TEST_ST_MODEL", "sentence-transformers/all-MiniLM-L6-v2")
    embedder = SentenceTransformerEmbedder(model)
    near, far, query = embedder.embed(["teeth whitening", "a flight to Lisbon", "whiter teeth"])
    assert len(query) == 384

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(query, near) > cosine(query, far)
