"""Prometheus metrics of vendor calls (``/metrics``): LLM latency and tokens by provider,
answers by outcome, and the state of every vendor circuit breaker."""

from __future__ import annotations

from typing import Any

import pybreaker
from prometheus_client import Counter, Gauge, Histogram

LLM_REQUESTS = Counter("frontdesk_llm_requests", "Language-model calls by provider and outcome",
                       ["provider", "outcome"])
LLM_TOKENS = Counter("frontdesk_llm_tokens", "Tokens by provider and direction (in, out)",
                     ["provider", "direction"])
LLM_LATENCY = Histogram("frontdesk_llm_latency_seconds", "Time to a complete answer, by provider",
                        ["provider"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64))
VENDOR_CIRCUIT = Gauge("frontdesk_vendor_circuit_state",
                       "Circuit breaker per vendor: 0 closed, 1 half-open, 2 open", ["vendor"],
                       multiprocess_mode="livemax")  # several processes: the worst one
OUTBOX_SENT = Counter("frontdesk_outbox_messages", "Outbound messages by transport and outcome",
                      ["transport", "outcome"])

_STATES = {"closed": 0, "half-open": 1, "open": 2}


class CircuitGauge(pybreaker.CircuitBreakerListener):
    """A pybreaker listener that mirrors the breaker's state into ``VENDOR_CIRCUIT``."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        VENDOR_CIRCUIT.labels(vendor).set(0)

    def state_change(self, breaker: Any, old: Any, new: Any) -> None:
        VENDOR_CIRCUIT.labels(self.vendor).set(_STATES.get(getattr(new, "name", ""), 0))
