"""The provider chain (ADR 0020): providers in the configured order, each behind its own circuit
breaker (pybreaker), each call with a timeout (in the SDK client) and retries with exponential
backoff and jitter on transient errors (tenacity), as long as no text has been streamed yet.
A provider that fails is skipped for the next one; one that fails mid-answer makes the chain
emit Restart before the next one starts over. When none is left: ModelUnavailable (HTTP 503).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pybreaker
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from adapters.llm.errors import ProviderError
from adapters.llm.pricing import PriceList
from adapters.metrics import LLM_LATENCY, LLM_REQUESTS, LLM_TOKENS
from adapters.resilience import VendorBreaker, VendorCircuits
from application.conversations.ports import (
    Delta,
    Finished,
    LanguageModel,
    ModelUnavailable,
    Prompt,
    Restart,
    StreamItem,
)

log = logging.getLogger("frontdesk.llm")


@dataclass
class Provider:
    name: str
    model: LanguageModel
    breaker: VendorBreaker


class ProviderChain:
    def __init__(self, providers: list[tuple[str, LanguageModel]], *, prices: PriceList,
                 attempts: int = 3, backoff: float = 0.25, max_backoff: float = 4.0,
                 fail_max: int = 3, reset_timeout: float = 30.0,
                 circuits: VendorCircuits | None = None) -> None:
        if not providers:
            raise ValueError("the provider chain needs at least one provider")
        registry = circuits or VendorCircuits()
        self.providers = [
            Provider(name, model, registry.breaker(f"llm:{name}", fail_max=fail_max,
                                                   reset_timeout=reset_timeout))
            for name, model in providers]
        self._prices = prices
        self._attempts, self._backoff, self._max_backoff = attempts, backoff, max_backoff

    def circuits(self) -> dict[str, str]:
        return {p.name: p.breaker.current_state for p in self.providers}

    def stream(self, prompt: Prompt) -> Iterator[StreamItem]:
        failed: list[str] = []
        for provider in self.providers:
            started = time.perf_counter()
            streamed: list[bool] = []  # a retry after text was streamed would repeat it
            finished: Finished | None = None

            def retryable(error: BaseException, streamed: list[bool] = streamed) -> bool:
                return isinstance(error, ProviderError) and error.transient and not streamed

            try:
                for attempt in Retrying(stop=stop_after_attempt(self._attempts),
                                        wait=wait_exponential_jitter(
                                            multiplier=self._backoff, max=self._max_backoff,
                                            jitter=self._backoff),
                                        retry=retry_if_exception(retryable), reraise=True):
                    with attempt, provider.breaker.calling():
                        for item in provider.model.stream(prompt):
                            if isinstance(item, Delta):
                                streamed.append(True)
                                yield item
                            elif isinstance(item, Finished):
                                finished = item
                if finished is None:
                    raise ProviderError(provider.name, "the stream ended early", transient=False)
            except (ProviderError, pybreaker.CircuitBreakerError) as error:
                outcome = "circuit_open" if isinstance(error, pybreaker.CircuitBreakerError) \
                    and not str(error).startswith("Trial") else "failed"
                LLM_REQUESTS.labels(provider.name, outcome).inc()
                log.warning("llm provider %s unavailable (%s); falling back", provider.name,
                            error)
                failed.append(provider.name)
                if streamed:
                    yield Restart(provider.name)
                continue
            seconds = time.perf_counter() - started
            LLM_REQUESTS.labels(provider.name, "ok").inc()
            LLM_LATENCY.labels(provider.name).observe(seconds)
            LLM_TOKENS.labels(provider.name, "in").inc(finished.tokens_in)
            LLM_TOKENS.labels(provider.name, "out").inc(finished.tokens_out)
            yield replace(finished, provider=provider.name, latency_ms=round(seconds * 1000),
                          cost_micros=self._prices.cost_micros(finished.model,
                                                               finished.tokens_in,
                                                               finished.tokens_out),
                          fallbacks=tuple(failed))
            return
        raise ModelUnavailable("every language-model provider is unavailable",
                               tried=tuple(failed))
