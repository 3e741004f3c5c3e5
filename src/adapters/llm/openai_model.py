"""OpenAI Chat Completions over the official SDK; any OpenAI-compatible server (vLLM, Ollama,
llama.cpp) through OPENAI_BASE_URL. Streams deltas; the final chunk carries the usage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai

from adapters.llm.errors import ProviderError, transient_status
from adapters.llm.tokens import EstimatedTokenCounter
from application.conversations.ports import Delta, Finished, Prompt, StreamItem


class OpenAIChatModel:
    provider = "openai"

    def __init__(self, *, api_key: str | None, base_url: str | None, model: str,
                 timeout: float) -> None:
        # Retries are the chain's (tenacity, with a circuit breaker): the SDK's are off.
        self._client = openai.OpenAI(api_key=api_key or "unset", base_url=base_url,
                                     timeout=timeout, max_retries=0)
        self.model = model
        self._tokens = EstimatedTokenCounter()

    def stream(self, prompt: Prompt) -> Iterator[StreamItem]:
        messages: list[Any] = [{"role": "system", "content": prompt.system}]
        messages += [{"role": m.role, "content": m.content} for m in prompt.messages]
        model, usage, produced, finish = self.model, None, [], None
        try:
            chunks = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=prompt.max_tokens, stream=True,
                stream_options={"include_usage": True})
            for chunk in chunks:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    finish = choice.finish_reason or finish
                    if choice.delta is not None and choice.delta.content:
                        produced.append(choice.delta.content)
                        yield Delta(choice.delta.content)
        except openai.APIStatusError as error:
            raise ProviderError(self.provider, f"HTTP {error.status_code}",
                                transient=transient_status(error.status_code)) from error
        except openai.APIConnectionError as error:  # includes timeouts
            raise ProviderError(self.provider, type(error).__name__, transient=True) from error
        except openai.OpenAIError as error:
            raise ProviderError(self.provider, type(error).__name__, transient=False) from error
        if finish is None:  # the connection ended before the answer did
            raise ProviderError(self.provider, "the stream ended early", transient=True)
        if usage is not None:
            tokens_in, tokens_out = usage.prompt_tokens, usage.completion_tokens
        else:  # servers that ignore stream_options: estimate
            tokens_in = sum(self._tokens.count(str(m["content"])) for m in messages)
            tokens_out = self._tokens.count("".join(produced))
        yield Finished(self.provider, model, tokens_in, tokens_out)
