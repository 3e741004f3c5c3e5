"""Embeddings from any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp), with the
official SDK: timeouts, retries with backoff on transient errors, a base URL setting."""

from __future__ import annotations

from openai import APIConnectionError, APITimeoutError, InternalServerError, OpenAI, RateLimitError
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

_TRANSIENT = (APIConnectionError, APITimeoutError, InternalServerError, RateLimitError)


class OpenAIEmbedder:
    def __init__(self, *, api_key: str, base_url: str | None, model: str, dimensions: int,
                 timeout: float = 10.0) -> None:
        self._client = OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        self._model, self._dimensions = model, dimensions

    @property
    def model(self) -> str:
        return f"openai:{self._model}@{self._dimensions}"

    @property
    def dimensions(self) -> int:
        return self._dimensions

    @retry(retry=retry_if_exception_type(_TRANSIENT), stop=stop_after_attempt(4),
           wait=wait_exponential(multiplier=0.2, max=3), reraise=True)
    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        answer = self._client.embeddings.create(model=self._model, input=texts,
                                                dimensions=self._dimensions)
        ordered = sorted(answer.data, key=lambda item: item.index)
        return [list(item.embedding) for item in ordered]
