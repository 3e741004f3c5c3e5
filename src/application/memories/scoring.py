"""How a memory is ranked for a query: similarity * temporal decay + entity boost.

- similarity: cosine similarity of query and memory embeddings (0..1 for normalised vectors);
- decay: 0.5 ** (age / half-life): a memory a half-life old counts half as much;
- entity boost: for each entity named in the query (an email, a phone number, a date, an
  amount, a capitalised name) that the memory also contains, ``boost_per_entity``, up to
  ``max_boost`` — exact facts beat fuzzy similarity.
Every hit carries these parts, so an answer can say why a memory was used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\b")
_AMOUNT = re.compile(r"(?:[$€£]\s?\d[\d,.]*|\b\d+[.,]\d{2}\b|\b\d[\d,.]*\s?(?:eur|usd|gbp)\b)",
                     re.IGNORECASE)
_NAME = re.compile(r"\b[A-ZÀ-Þ][a-zà-ÿ'\u2019-]{2,}\b")
_COMMON = frozenset({"The", "This", "That", "What", "When", "Where", "Which", "Who", "How",
                     "Did", "Does", "Can", "Could", "Would", "Should", "And", "But", "For",
                     "With", "About", "Any", "Has", "Have", "Her", "His", "She", "They",
                     "Our", "Your", "Please", "Thanks"})


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str
    value: str
    normalised: str


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def extract_entities(query: str) -> list[Entity]:
    found: dict[tuple[str, str], Entity] = {}

    def add(kind: str, value: str, normalised: str) -> None:
        if normalised:
            found.setdefault((kind, normalised), Entity(kind, value, normalised))

    for match in _EMAIL.findall(query):
        add("email", match, match.lower())
    rest = _EMAIL.sub(" ", query)
    for match in _DATE.findall(rest):
        add("date", match, match)
    for match in _AMOUNT.findall(rest):
        add("amount", match.strip(), _digits(match))
    for match in _PHONE.findall(_DATE.sub(" ", rest)):
        digits = _digits(match)
        if len(digits) >= 7:
            add("phone", match.strip(), digits[-9:])
    for match in _NAME.findall(rest):
        if match not in _COMMON:
            add("name", match, match.lower())
    return list(found.values())


def contains(text: str, entity: Entity) -> bool:
    if entity.kind in ("phone", "amount"):
        return entity.normalised in _digits(text)
    if entity.kind == "name":
        return re.search(rf"\b{re.escape(entity.normalised)}\b", text.lower()) is not None
    return entity.normalised in text.lower()


@dataclass(frozen=True, slots=True)
class Scoring:
    half_life_days: float = 90.0
    boost_per_entity: float = 0.25
    max_boost: float = 0.75

    def decay(self, occurred_at: datetime, now: datetime) -> float:
        age_days = max(0.0, (now - occurred_at).total_seconds() / 86_400)
        return float(0.5 ** (age_days / self.half_life_days))

    def boost(self, text: str, entities: list[Entity]) -> tuple[float, list[Entity]]:
        matched = [entity for entity in entities if contains(text, entity)]
        return min(self.max_boost, self.boost_per_entity * len(matched)), matched
