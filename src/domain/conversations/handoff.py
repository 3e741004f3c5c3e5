"""When the assistant steps aside for a person: the customer asks, a tenant keyword appears, the
assistant is not confident, or it has answered N times in a row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from domain.shared.errors import InvalidValue

DEFAULT_HANDOFF_WORDS = ("agent", "human", "person", "representative", "operator")


class HandoffReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    KEYWORD = "keyword"
    LOW_CONFIDENCE = "low_confidence"
    AI_TURN_LIMIT = "ai_turn_limit"
    AGENT_REQUEST = "agent_request"
    AI_UNAVAILABLE = "ai_unavailable"


@dataclass(frozen=True, slots=True)
class HandoffRules:
    """A tenant's rules; ``keywords`` are the tenant's own words beside the default ones."""

    keywords: tuple[str, ...] = ()
    max_ai_turns: int = 5
    min_confidence: float = 0.35
    _patterns: tuple[tuple[re.Pattern[str], HandoffReason], ...] = field(
        default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.max_ai_turns <= 100:
            raise InvalidValue("max_ai_turns", "must be between 1 and 100")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise InvalidValue("min_confidence", "must be between 0 and 1")
        if len(self.keywords) > 50 or any(not k.strip() or len(k) > 60 for k in self.keywords):
            raise InvalidValue("keywords", "at most 50 keywords of 1-60 characters")
        patterns = [(_word(w), HandoffReason.CUSTOMER_REQUEST) for w in DEFAULT_HANDOFF_WORDS]
        patterns += [(_word(k), HandoffReason.KEYWORD) for k in self.keywords]
        object.__setattr__(self, "_patterns", tuple(patterns))

    def requested_in(self, text: str) -> tuple[HandoffReason, str] | None:
        """The reason and the word, if the customer's message asks for a person."""
        for pattern, reason in self._patterns:
            found = pattern.search(text)
            if found:
                return reason, found.group(0).lower()
        return None


def _word(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(word.strip()) + r"(?!\w)", re.IGNORECASE)
