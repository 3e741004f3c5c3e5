"""Building what the model is given: the tenant's persona and rules, knowledge passages found for
the customer's latest words, and the most recent messages that fit the token budget (the oldest
are dropped first). Pure: retrieval and token counting are ports."""

from __future__ import annotations

import re
from typing import Literal
from uuid import UUID

from application.conversations.ports import (
    Passage,
    Prompt,
    PromptMessage,
    Retriever,
    TokenCounter,
)
from domain.conversations import AssistantSettings, Conversation, Direction, Message

PROMPT_VERSION = "conversations-v1"
HANDOFF_SENTINEL = "[[HANDOFF]]"
PER_MESSAGE_OVERHEAD = 4  # role markers and separators, as chat formats count them

_WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset({
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "do", "does", "for", "from", "had", "has", "have", "hello", "hi", "how", "i", "if",
    "in", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "please", "so",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to",
    "us", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will", "with",
    "would", "you", "your", "yes", "thanks", "thank"})


def terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in STOP_WORDS}


def coverage(question: str, passages: list[Passage]) -> float:
    """A lexical confidence: the share of the question's content words that the best passage
    contains (words compared on their first five letters, a crude stemmer)."""
    wanted = {w[:5] for w in terms(question)}
    if not wanted or not passages:
        return 0.0
    best = max(len(wanted & {w[:5] for w in terms(p.text + " " + p.title)}) for p in passages)
    return best / len(wanted)


class ContextBuilder:
    def __init__(self, retriever: Retriever, tokens: TokenCounter, *, passages: int = 4) -> None:
        self._retriever, self._tokens, self._passages = retriever, tokens, passages

    def build(self, tenant_id: UUID, conversation: Conversation,
              settings: AssistantSettings) -> Prompt:
        history = conversation.ordered_messages()
        question = self._question(history)
        found = self._retriever.search(tenant_id, question, limit=self._passages,
                                       contact_id=conversation.contact_id) if question else []
        system = self._system(settings, found)
        budget = settings.context_token_budget - self._tokens.count(system)
        recent: list[Message] = []
        for message in reversed(history):
            cost = self._tokens.count(message.body) + PER_MESSAGE_OVERHEAD
            if cost > budget:
                break
            budget -= cost
            recent.append(message)
        recent.reverse()
        return Prompt(system=system, messages=_turns(recent), question=question,
                      passages=tuple(found), retrieval_confidence=coverage(
                          question, [p for p in found if p.kind == "knowledge"]),
                      assistant_name=settings.assistant_name,
                      max_tokens=settings.max_reply_tokens, version=PROMPT_VERSION)

    @staticmethod
    def _question(history: list[Message]) -> str:
        """The customer's latest words: up to their last three messages since the last
        outbound one (what retrieval searches for)."""
        latest: list[str] = []
        for message in reversed(history):
            if message.direction is not Direction.INBOUND:
                if latest:
                    break
                continue
            latest.append(message.body)
            if len(latest) == 3:
                break
        return " ".join(reversed(latest))[-1000:]

    @staticmethod
    def _system(settings: AssistantSettings, passages: list[Passage]) -> str:
        lines = [settings.persona.strip(), "",
                 "Answer the customer briefly and only from the knowledge below or the "
                 "conversation. Never invent prices, dates or medical advice."]
        lines += [f"- {rule}" for rule in settings.rules]
        lines += ["", f"If the knowledge does not answer the question, or the customer needs a "
                      f"person, reply with exactly {HANDOFF_SENTINEL} and nothing else.", ""]
        knowledge = [p for p in passages if p.kind == "knowledge"]
        memories = [p for p in passages if p.kind == "memory"]
        if knowledge:
            lines.append("Knowledge:")
            lines += [f"[{p.ref}] {p.title}: {p.text}" for p in knowledge]
        else:
            lines.append("Knowledge: (nothing relevant was found)")
        if memories:
            lines += ["", "What we know about this customer (from earlier notes and "
                          "messages; do not repeat it back unless it helps):"]
            lines += [f"[{p.ref}] {p.title}: {p.text}" for p in memories]
        return "\n".join(lines)


def _turns(messages: list[Message]) -> tuple[PromptMessage, ...]:
    """Chat turns: the customer is the user; agents, system and the AI are the assistant.
    Consecutive turns of one role are merged, and the chat starts with the user."""
    turns: list[PromptMessage] = []
    for message in messages:
        role: Literal["user", "assistant"] = (
            "user" if message.direction is Direction.INBOUND else "assistant")
        if turns and turns[-1].role == role:
            turns[-1] = PromptMessage(role, turns[-1].content + "\n" + message.body)
        else:
            turns.append(PromptMessage(role, message.body))
    while turns and turns[0].role != "user":
        turns.pop(0)
    return tuple(turns)


class SentinelFilter:
    """Streams an answer while holding back anything that may be the hand-off sentinel, so a
    client never sees ``[[HANDOFF]]`` (or half of it)."""

    def __init__(self) -> None:
        self.full = ""
        self._emitted = ""

    def reset(self) -> None:
        self.full, self._emitted = "", ""

    def feed(self, text: str) -> str:
        self.full += text
        visible = self.full.replace(HANDOFF_SENTINEL, "")
        hold = 0
        for size in range(min(len(HANDOFF_SENTINEL) - 1, len(visible)), 0, -1):
            if HANDOFF_SENTINEL.startswith(visible[-size:]):
                hold = size
                break
        ready = visible[:len(visible) - hold]
        out = ready[len(self._emitted):] if ready.startswith(self._emitted) else ""
        self._emitted = ready
        return out

    def finish(self) -> tuple[str, bool]:
        """The whole answer without the sentinel, and whether the model asked for a person."""
        return self.full.replace(HANDOFF_SENTINEL, "").strip(), HANDOFF_SENTINEL in self.full

    def tail(self) -> str:
        visible = self.full.replace(HANDOFF_SENTINEL, "")
        rest = visible[len(self._emitted):] if visible.startswith(self._emitted) else ""
        self._emitted = visible
        return rest
