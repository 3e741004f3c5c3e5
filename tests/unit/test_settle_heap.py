"""settle_heap (ADR 0056): what exists when a process has started leaves the collector's
generations, so full collections no longer walk it; the metric reports how much."""

from __future__ import annotations

import gc

from prometheus_client import REGISTRY

from entrypoints.runtime import settle_heap


def test_start_up_objects_leave_the_collected_generations() -> None:
    built_at_start_up = [{"kept": n} for n in range(1000)]
    assert any(o is built_at_start_up for o in gc.get_objects())
    try:
        frozen = settle_heap()
        assert frozen >= 1000  # (frozen objects that die later leave the count)
        assert not any(o is built_at_start_up for o in gc.get_objects())
        after = [{"later": n} for n in range(10)]
        assert any(o is after for o in gc.get_objects())  # later objects are collected as ever
        assert REGISTRY.get_sample_value("frontdesk_process_frozen_objects") == frozen
    finally:
        gc.unfreeze()
    assert any(o is built_at_start_up for o in gc.get_objects())
