"""Service metrics for /metrics: request latency per route, commands by type and outcome,
and projection lag per projection (computed when Prometheus scrapes).

Several API processes (``serve --workers N``) share their metrics through
prometheus-client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` set before the processes
start, each writes its samples there, and a scrape of any of them sums (or, for gauges, takes
the highest live value of) them all (ADR 0054)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("frontdesk.metrics")

REQUEST_SECONDS = Histogram(
    "frontdesk_http_request_seconds", "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10))
COMMANDS = Counter("frontdesk_commands", "Commands by type and outcome", ["command", "outcome"])
COMMAND_SECONDS = Histogram("frontdesk_command_seconds", "Command latency (handler + commit)",
                            ["command"],
                            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1))

FROZEN_OBJECTS = Gauge("frontdesk_process_frozen_objects",
                       "Objects of the process's start-up kept out of garbage collection "
                       "(gc.freeze, ADR 0056); several processes: the lowest",
                       multiprocess_mode="livemin")
SERVING = Gauge("frontdesk_api_processes_serving",
                "API processes that have finished start-up and accept requests (serve "
                "--workers N: N when all are up; fewer while one starts or restarts)",
                multiprocess_mode="livesum")


def process_serving() -> None:
    """This API process has finished start-up (its last start-up hook)."""
    SERVING.set(1)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(method, route, f"{status // 100}xx").observe(seconds)


def observe_command(command: str, outcome: str, seconds: float) -> None:
    COMMANDS.labels(command, outcome).inc()
    COMMAND_SECONDS.labels(command).observe(seconds)


class ProjectionLag(Collector):
    """``frontdesk_projection_pending_events{projection}``: events not yet applied (capped at
    a million), and ``frontdesk_projection_needs_rebuild``. One query per projection per
    scrape, on the tracking index; a failing database yields no sample (and a log line)."""

    def __init__(self) -> None:
        self._watched: list[Callable[[], list[Any]]] = []
        self._lock = threading.Lock()

    def watch(self, status: Callable[[], list[Any]]) -> Callable[[], None]:
        """Report ``status`` (the newest watched wins) until the returned function is called:
        an app watches while it runs, so a stopped app's closed pool is never asked."""
        with self._lock:
            self._watched.append(status)

        def unwatch() -> None:
            with self._lock:
                if status in self._watched:
                    self._watched.remove(status)

        return unwatch

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            status = self._watched[-1] if self._watched else None
        pending = GaugeMetricFamily("frontdesk_projection_pending_events",
                                    "Events of the log not yet applied by a projection",
                                    labels=["projection"])
        rebuild = GaugeMetricFamily("frontdesk_projection_needs_rebuild",
                                    "1 when the projection's code version changed",
                                    labels=["projection"])
        failing = GaugeMetricFamily("frontdesk_projection_failing",
                                    "1 while the projection fails to apply its next batch "
                                    "(projections status names the error)",
                                    labels=["projection"])
        if status is not None:
            try:
                for row in status():
                    pending.add_metric([row.name], row.pending)
                    rebuild.add_metric([row.name], 1 if row.needs_rebuild else 0)
                    failing.add_metric([row.name], 0 if row.failing_since is None else 1)
            except Exception as error:  # the database is down: /health says so
                log.warning("projection lag unavailable: %s", type(error).__name__)
        yield pending
        yield rebuild
        yield failing


PROJECTION_LAG = ProjectionLag()
REGISTRY.register(PROJECTION_LAG)


def scrape_registry() -> CollectorRegistry:
    """What /metrics exposes: this process's registry, or, in multiprocess mode, every
    process's samples (read from their files at each scrape) and the projection lag."""
    return _all_processes() if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else REGISTRY


@cache
def _all_processes() -> CollectorRegistry:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(PROJECTION_LAG)
    return registry


def process_exiting() -> None:
    """This process no longer serves; withdraw its live gauges (multiprocess mode)."""
    SERVING.set(0)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
