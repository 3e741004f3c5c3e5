"""Identifiers: random (version 4) UUIDs from the operating system's CSPRNG, drawn in blocks.

``uuid.uuid4()`` asks the kernel for 16 bytes per id, releasing Python's GIL each time; under
concurrency every such release can cost a wait of up to the interpreter's switch interval to
get it back. Drawing 4 KiB at a time gives the same randomness with one system call per 256 ids.
"""

from __future__ import annotations

import os
import threading
from uuid import UUID

_BLOCK = 4096


class RandomBytes:
    """Bytes from ``os.urandom``, handed out once each, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0

    def take(self, size: int) -> bytes:
        with self._lock:
            if self._offset + size > len(self._buffer):
                self._buffer, self._offset = os.urandom(max(_BLOCK, size)), 0
            start = self._offset
            self._offset += size
            return self._buffer[start:self._offset]


random_bytes = RandomBytes()


def new_id() -> UUID:
    """A random UUID (version 4, RFC 4122 variant)."""
    return UUID(bytes=random_bytes.take(16), version=4)
