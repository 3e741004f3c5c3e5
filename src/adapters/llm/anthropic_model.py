"""Anthropic Messages over the official SDK (streaming), base URL from ANTHROPIC_BASE_URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic

from adapters.llm.errors import ProviderError, transient_status
from application.conversations.ports import Delta, Finished, Prompt, StreamItem

NOTHING_YET = "(The customer has not written yet: greet them and offer help.)"


class AnthropicModel:
    provider = "anthropic"

    def __init__(self, *, api_key: str | None, base_url: str | None, model: str,
                 timeout: float) -> None:
        self._client = anthropic.Anthropic(api_key=api_key or "unset", base_url=base_url,
                                           timeout=timeout, max_retries=0)
        self.model = model

    def stream(self, prompt: Prompt) -> Iterator[StreamItem]:
        messages: list[Any] = [{"role": m.role, "content": m.content} for m in prompt.messages]
        if not messages:
            messages = [{"role": "user", "content": NOTHING_YET}]
        try:
            with self._client.messages.stream(model=self.model, max_tokens=prompt.max_tokens,
                                              system=prompt.system, messages=messages) as stream:
                for text in stream.text_stream:
                    if text:
                        yield Delta(text)
                final = stream.get_final_message()
        except anthropic.APIStatusError as error:
            raise ProviderError(self.provider, f"HTTP {error.status_code}",
                                transient=transient_status(error.status_code)) from error
        except anthropic.APIConnectionError as error:  # includes timeouts
            raise ProviderError(self.provider, type(error).__name__, transient=True) from error
        except anthropic.AnthropicError as error:
            raise ProviderError(self.provider, type(error).__name__, transient=False) from error
        yield Finished(self.provider, final.model or self.model, final.usage.input_tokens,
                       final.usage.output_tokens)
