"""Shared set-up for the benchmarks: a dedicated database on the embedded server (or
DATABASE_URL), and a container wired to it."""

from __future__ import annotations

import os
import statistics
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def bench_database(name: str = "frontdesk_bench") -> str:
    """Owner URL of a fresh benchmark database (BENCH_DATABASE_URL: use that one as is)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    from adapters.postgres.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(ROOT / ".data")
    server.drop(name)
    return server.url(name)


def build_container(owner_url: str, **settings: Any) -> Any:
    from dependency_injector import providers

    from entrypoints.container import Container
    from entrypoints.logging import configure_logging
    from entrypoints.settings import Settings

    configure_logging("WARNING")
    container = Container()
    container.settings.override(providers.Object(Settings(DATABASE_URL=owner_url,
                                                          FRONTDESK_LOG_LEVEL="WARNING",
                                                          **settings)))
    container.database()
    container.projection_manager().ensure()
    return container


def new_tenant(container: Any, password: str = "bench password 123") -> tuple[Any, str]:
    from application.identity import ProvisionTenant

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    created = container.provision_tenant()(ProvisionTenant(
        name="Bench", slug=slug, admin_email=f"admin@{slug}.example", admin_password=password))
    return created, slug


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)
