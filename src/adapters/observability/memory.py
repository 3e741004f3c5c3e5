"""Every memory search is logged (latency, hits, top score) and counted in /metrics."""

from __future__ import annotations

import structlog
from prometheus_client import Counter, Histogram

from application.memories.search import SearchResult

SEARCHES = Counter("frontdesk_memory_searches_total", "Memory searches", ["outcome"])
SEARCH_SECONDS = Histogram("frontdesk_memory_search_seconds", "Memory search latency",
                           buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0))
log = structlog.get_logger("frontdesk.memory")


def observe_search(result: SearchResult) -> None:
    SEARCHES.labels(outcome="hits" if result.hits else "empty").inc()
    SEARCH_SECONDS.observe(result.latency_ms / 1000)
    log.info("memory_search", latency_ms=round(result.latency_ms, 2), hits=len(result.hits),
             top_score=round(result.hits[0].score, 4) if result.hits else None,
             model=result.model)
