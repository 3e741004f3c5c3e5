"""Pause Python's cyclic garbage collector while a large projection batch is in memory.

A rebuild batch holds tens of thousands of decoded events, their state dictionaries, ids and
read-model rows at once: several hundred thousand container objects that all live until the
batch is written. The collector counts them as they are made and, every time the survivors grow
by a quarter, walks the whole heap (the batch included) looking for cycles it will not find:
they are freed by reference counting when the batch is done. That was half of a rebuild's
time (ADR 0004). Pausing the collector for the batch removes the walks; reference counting
still frees everything, and cyclic garbage made meanwhile, by any thread, waits for the next
collection after the pause.

Pauses nest and may overlap across threads: the collector is disabled by the first and
enabled again by the last, and only if it was enabled to begin with.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_restore = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
