"""The offline embedder and the memory scoring, without a database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.embeddings.hashing import HashingEmbedder
from application.memories.scoring import Scoring, contains, extract_entities


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_hashing_embedder_is_deterministic_normalised_and_384_wide() -> None:
    embedder = HashingEmbedder()
    first = embedder.embed(["Ana asked about teeth whitening"])[0]
    again = HashingEmbedder().embed(["Ana asked about teeth whitening"])[0]
    assert first == again
    assert len(first) == 384 and embedder.model == "hashing-384@1"
    assert math.isclose(math.sqrt(sum(v * v for v in first)), 1.0, rel_tol=1e-9)


def test_shared_words_are_closer_than_unrelated_text() -> None:
    embedder = HashingEmbedder()
    query, related, unrelated = embedder.embed([
        "whitening price", "She wants a price for teeth whitening",
        "Flight to Lisbon on Tuesday"])
    assert cosine(query, related) > 0.3 > cosine(query, unrelated)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_every_text_embeds_to_a_unit_or_zero_vector(text: str) -> None:
    vector = HashingEmbedder().embed_one(text)
    norm = math.sqrt(sum(v * v for v in vector))
    assert norm == 0.0 or math.isclose(norm, 1.0, rel_tol=1e-9)


def test_entities_are_recognised_in_a_query() -> None:
    found = {(e.kind, e.value) for e in extract_entities(
        "Did Ana Ruiz (ana.ruiz@example.com, +34 612 345 678) pay €450.00 on 2026-03-14?")}
    assert ("email", "ana.ruiz@example.com") in found
    assert ("phone", "+34 612 345 678") in found
    assert ("date", "2026-03-14") in found
    assert ("amount", "€450.00") in found
    assert ("name", "Ana") in found and ("name", "Ruiz") in found
    assert not any(kind == "name" and value == "Did" for kind, value in found)


def test_entity_matching_ignores_formatting() -> None:
    [phone] = [e for e in extract_entities("call +34 612-345-678") if e.kind == "phone"]
    assert contains("her number is 612 345 678", phone)
    [amount] = [e for e in extract_entities("paid 450.00") if e.kind == "amount"]
    assert contains("invoice of 450,00 EUR", amount)


def test_decay_halves_each_half_life_and_boost_is_capped() -> None:
    scoring = Scoring(half_life_days=30, boost_per_entity=0.25, max_boost=0.5)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert scoring.decay(now, now) == 1.0
    assert math.isclose(scoring.decay(now - timedelta(days=30), now), 0.5)
    assert math.isclose(scoring.decay(now - timedelta(days=90), now), 0.125)
    entities = extract_entities("Ana Ruiz ana@example.com 2026-01-02")
    boost, matched = scoring.boost("Ana Ruiz wrote from ana@example.com on 2026-01-02", entities)
    assert boost == 0.5 and len(matched) == 4


@pytest.mark.parametrize("query", ["", "   ", "?!"])
def test_queries_without_entities(query: str) -> None:
    assert extract_entities(query) == []
