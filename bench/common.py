"""Shared set-up for the benchmarks: a dedicated database on the embedded server (or
DATABASE_URL), and a container wired to it."""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import sys
import uuid
from collections.abc import Iterator
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

    from adapters.postgres.migrate import migrate
    from entrypoints.container import Container
    from entrypoints.logging import configure_logging
    from entrypoints.settings import Settings

    configure_logging("WARNING")
    container = Container()
    container.settings.override(providers.Object(Settings(DATABASE_URL=owner_url,
                                                          FRONTDESK_LOG_LEVEL="WARNING",
                                                          **settings)))
    migrate(container.database())  # the release step (ADR 0072): opening no longer migrates
    container.projection_manager().ensure()
    return container


def new_tenant(container: Any, password: str = "bench password 123") -> tuple[Any, str]:
    from application.identity import ProvisionTenant

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    created = container.identity.provision_tenant()(ProvisionTenant(
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


AUTOGROUP = Path("/proc/sys/kernel/sched_autogroup_enabled")


@contextlib.contextmanager
def one_scheduling_group(switch: Path = AUTOGROUP) -> Iterator[str]:
    """Turn the kernel's session autogrouping off for the run (and back on after it), when
    it is on and this process may change it; yields a line saying what was done.

    pg_ctl starts PostgreSQL in a session of its own, so with autogrouping the scheduler
    treats PostgreSQL and the processes under test (server, worker, load generator, all in
    the benchmark's session) as two groups. On these 2-core machines that stalled every
    PostgreSQL backend for up to 3 s at a time under load (even a `SELECT 1` from an idle
    probe), which is the machine, not the service: with the groups merged the stalls went
    and nothing else changed (ADR 0055). BENCH_KEEP_AUTOGROUP=1 measures with it on."""
    try:
        before = switch.read_text().strip()
    except OSError:
        yield "kernel session autogrouping: not present"
        return
    if before != "1":
        yield "kernel session autogrouping: off"
        return
    if os.environ.get("BENCH_KEEP_AUTOGROUP") == "1":
        yield "kernel session autogrouping: ON (kept, BENCH_KEEP_AUTOGROUP=1)"
        return
    try:
        switch.write_text("0")
    except OSError:
        yield ("kernel session autogrouping: ON (cannot change it as this user; PostgreSQL "
               "backends may stall for seconds under load, see ADR 0055)")
        return
    def interrupted(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally below

    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        yield "kernel session autogrouping: off for this run (was on; restored after)"
    finally:
        switch.write_text(before)
        signal.signal(signal.SIGTERM, previous)
