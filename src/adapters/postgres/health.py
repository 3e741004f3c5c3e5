"""Readiness: the database answers, every tenant table is protected by RLS, projection lag;
and, beside them, each vendor: configured or not, and its circuit. Only the database checks
decide readiness. An open vendor circuit makes the service ``degraded``, not unready: it still
accepts work, queues what waits for the vendor, and answers 503 only where it cannot (ADR 0050).
A projection that keeps failing to apply a batch degrades it too (ADR 0060).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg

from adapters.postgres.database import DictPool, bound_statements
from adapters.postgres.rls import RLS_STATUS_SQL
from adapters.projections.manager import ProjectionManager, ProjectionStatus
from adapters.resilience import VendorCircuits


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, Any] = field(default_factory=dict)
    degraded: bool = False


PROBE_TIMEOUT = 2.0
"""Seconds a probe waits for a database connection, and for each of its queries: with the
database down, the pool's own wait (30 s) would outlast any orchestrator's probe timeout."""


class HealthChecks:
    def __init__(self, pool: DictPool, projections: ProjectionManager,
                 vendors: VendorCircuits, *, timeout: float = PROBE_TIMEOUT) -> None:
        self._pool, self._projections, self._vendors = pool, projections, vendors
        self._timeout = timeout

    def readiness(self) -> Readiness:
        vendors = self._vendors.report()
        degraded = any(v["circuit"] != "closed" for v in vendors.values())
        checks = self._database()
        degraded = degraded or bool(checks.get("projections", {}).get("failing"))
        ready = all(check["ok"] for check in checks.values())
        return Readiness(ready, {**checks, "vendors": vendors}, degraded)

    def _database(self) -> dict[str, Any]:
        statuses: list[ProjectionStatus] | None = None
        try:
            with self._pool.connection(timeout=self._timeout) as conn, conn.transaction():
                bound_statements(conn, self._timeout)
                tables = conn.execute(RLS_STATUS_SQL).fetchall()
            # The database answers; the lag may take longer than a probe may (a very large
            # backlog, or a lock held on the tracking rows): then it is reported unknown.
            with suppress(psycopg.errors.QueryCanceled):
                statuses = self._projections.status(timeout=self._timeout)
        except Exception as error:
            return {"database": {"ok": False, "error": type(error).__name__}}
        checks: dict[str, Any] = {"database": {"ok": True}}
        unprotected = [t["table_name"] for t in tables
                       if not (t["enabled"] and t["forced"] and t["has_policy"])]
        checks["row_level_security"] = {"ok": not unprotected,
                                        "protected_tables": len(tables) - len(unprotected),
                                        "unprotected_tables": unprotected}
        if statuses is None:  # unknown lag never fails readiness
            checks["projections"] = {"ok": True, "lag": None, "error": "QueryCanceled"}
            return checks
        lag = {}
        for status in statuses:
            lag[status.name] = {"pending_events": status.pending,
                                "version": status.stored_version,
                                "needs_rebuild": status.needs_rebuild,
                                "failing": None if status.failing_since is None else {
                                    "since": status.failing_since,
                                    "failures": status.failures,
                                    "error": status.last_error}}
        # A failing projection serves an ever older view: degraded, like an open vendor
        # circuit, not unready (the rest of the service works; ADR 0060).
        checks["projections"] = {"ok": not any(v["needs_rebuild"] for v in lag.values()),
                                 "failing": sorted(n for n, v in lag.items() if v["failing"]),
                                 "lag": lag}
        return checks
