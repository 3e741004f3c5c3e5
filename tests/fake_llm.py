"""A scripted in-memory LanguageModel for application-layer unit tests. It passes the same
contract tests as the real adapters (tests/integration/test_llm_contract.py)."""

from __future__ import annotations

from collections.abc import Iterator

from application.conversations.ports import (
    Delta,
    Finished,
    ModelUnavailable,
    Prompt,
    StreamItem,
)


class ScriptedModel:
    provider = "scripted"
    model = "scripted-1"

    def __init__(self, reply: str = "Whitening costs 300 EUR.", *,
                 confidence: float | None = None) -> None:
        self.reply, self.confidence = reply, confidence
        self.down = False
        self.prompts: list[Prompt] = []

    def stream(self, prompt: Prompt) -> Iterator[StreamItem]:
        if self.down:
            raise ModelUnavailable("scripted model is down", tried=(self.provider,))
        self.prompts.append(prompt)
        pieces = self.reply.split(" ")
        for n, piece in enumerate(pieces):
            yield Delta(piece + (" " if n < len(pieces) - 1 else ""))
        yield Finished(self.provider, self.model, tokens_in=len(prompt.system.split()) + 1,
                       tokens_out=len(pieces), confidence=self.confidence)
