"""The offline assistant (FRONTDESK_LLM_CHAIN=local, the default): no model, no network. It
answers from the retrieved knowledge-base passages with fixed templates, says it is an offline
assistant, and reports the retrieval's lexical confidence, so that a question the knowledge
base does not answer is handed to a person."""

from __future__ import annotations

import re
from collections.abc import Iterator

from adapters.llm.tokens import EstimatedTokenCounter
from application.conversations.context import terms
from application.conversations.ports import Delta, Finished, Passage, Prompt, StreamItem

_PIECES = re.compile(r"\S+\s*")


class OfflineAssistant:
    provider = "local"
    model = "offline-templates-v1"

    def __init__(self) -> None:
        self._tokens = EstimatedTokenCounter()

    def answer(self, prompt: Prompt) -> tuple[str, float]:
        best = _best(prompt.question, [p for p in prompt.passages if p.kind == "knowledge"])
        if best is None or prompt.retrieval_confidence <= 0:
            return (f"I'm {prompt.assistant_name}, an offline assistant, and I couldn't find "
                    "that in our knowledge base. A member of our team will get back to you.",
                    0.0)
        return (f"I'm {prompt.assistant_name}, an offline assistant, so I can only share what "
                f"our knowledge base says. {best.title}: {best.text} "
                "If you need anything else, just ask for a person.",
                prompt.retrieval_confidence)

    def stream(self, prompt: Prompt) -> Iterator[StreamItem]:
        text, confidence = self.answer(prompt)
        for piece in _PIECES.findall(text):
            yield Delta(piece)
        given = self._tokens.count(prompt.system) + sum(self._tokens.count(m.content)
                                                        for m in prompt.messages)
        yield Finished(self.provider, self.model, given, self._tokens.count(text),
                       confidence=confidence)


def _best(question: str, passages: list[Passage]) -> Passage | None:
    """The passage sharing most content words with the question (retrieval order breaks ties)."""
    wanted = {w[:5] for w in terms(question)}
    if not passages:
        return None
    return max(passages, key=lambda p: len(wanted & {w[:5] for w in terms(p.title + " " + p.text)}))
