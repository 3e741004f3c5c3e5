"""The rate limiter's per-process side of the shared counters: far from a limit hits are sent
in batches, near it every hit is sent, so the limit is exact across processes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from entrypoints.http.ratelimit import SharedCounts


class FakeStore:
    """The shared counters (one per cluster), with the round trips it was asked for."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.round_trips = 0
        self.down = False

    async def hit(self, hits: Mapping[str, int], window: int) -> tuple[dict[str, int], int]:
        self.round_trips += 1
        if self.down:
            raise ConnectionError("store down")
        for key, n in hits.items():
            self.totals[key] = self.totals.get(key, 0) + n
        return {key: self.totals[key] for key in hits}, 30


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counts(counter: SharedCounts, limits: dict[str, int], times: int) -> list[int]:
    async def run() -> list[int]:
        return [(await counter.count(limits, 60))[0]["ip:a"] for _ in range(times)]

    return asyncio.run(run())


def test_far_from_the_limit_hits_are_sent_once_per_interval() -> None:
    store, clock = FakeStore(), Clock()
    counter = SharedCounts(store.hit, clock=clock, wall=lambda: 1_000_020.0, interval=0.1)
    assert counts(counter, {"ip:a": 10_000}, 50) == list(range(1, 51))
    assert store.round_trips == 1 and store.totals == {"ip:a": 1}
    clock.now += 0.1
    assert counts(counter, {"ip:a": 10_000}, 1) == [51]
    assert store.round_trips == 2 and store.totals == {"ip:a": 51}


def test_near_the_limit_every_hit_is_sent_and_processes_see_each_other() -> None:
    store, clock = FakeStore(), Clock()
    one = SharedCounts(store.hit, clock=clock, wall=lambda: 1_000_020.0, min_headroom=100)
    two = SharedCounts(store.hit, clock=clock, wall=lambda: 1_000_020.0, min_headroom=100)
    limits = {"ip:a": 5}
    seen = [counts(process, limits, 1)[0] for process in (one, two, one, two, one, two)]
    assert seen == [1, 2, 3, 4, 5, 6]  # the sixth is over the limit, whichever process asks
    assert store.round_trips == 6


def test_hits_not_sent_while_the_store_is_down_are_sent_later() -> None:
    store, clock = FakeStore(), Clock()
    counter = SharedCounts(store.hit, clock=clock, wall=lambda: 1_000_020.0)
    store.down = True
    with pytest.raises(ConnectionError):
        counts(counter, {"ip:a": 10_000}, 1)
    store.down = False
    clock.now += 1
    assert counts(counter, {"ip:a": 10_000}, 1) == [2]
    assert store.totals == {"ip:a": 2}
