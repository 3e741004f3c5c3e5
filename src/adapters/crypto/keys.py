"""Envelope encryption: a data key per data subject (contact), wrapped by a key-encryption key.

- KEKs come from configuration as ``id:base64key`` pairs; the first is the one that wraps new
  keys, the others are kept only to unwrap keys not yet re-wrapped (rotation).
- Data keys are 256-bit AES-GCM keys, stored wrapped (RFC 3394 AES key wrap) in ``data_keys``.
  A destroyed key (``wrapped_key`` NULL) makes that subject's personal fields unreadable forever:
  crypto-shredding.
- Unwrapped keys are cached in memory for ``cache_ttl`` seconds, so a key destroyed by another
  process stops decrypting here within that time.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

from adapters.postgres.database import DictPool
from domain.shared.errors import SubjectErased
from domain.shared.ids import random_bytes


class KeyEncryptionKeys:
    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        for kek_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key-encryption key {kek_id!r} must be 32 bytes")
        if active not in keys:
            raise ValueError("the active key-encryption key is not in the keyring")
        self._keys, self.active = dict(keys), active

    @classmethod
    def parse(cls, spec: str) -> KeyEncryptionKeys:
        """``"k2:BASE64,k1:BASE64"`` — the first entry is active."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in filter(None, (part.strip() for part in spec.split(","))):
            kek_id, _, encoded = item.partition(":")
            if not kek_id or not encoded:
                raise ValueError("each key-encryption key must be written id:base64")
            keys[kek_id] = base64.b64decode(encoded)
            order.append(kek_id)
        if not order:
            raise ValueError("at least one key-encryption key is required")
        return cls(keys, order[0])

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        return self.active, aes_key_wrap(self._keys[self.active], data_key)

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        try:
            kek = self._keys[kek_id]
        except KeyError:
            raise LookupError(f"key-encryption key {kek_id!r} is not configured") from None
        return aes_key_unwrap(kek, wrapped)


@dataclass(frozen=True, slots=True)
class NewDataKey:
    """A data key created for a write; stored in the same transaction as the events."""

    tenant_id: UUID
    subject_id: UUID
    kek_id: str
    wrapped_key: bytes


class DataKeyStore:
    """Finds, creates and caches data keys. Thread-safe."""

    DESTROYED = b""

    def __init__(self, pool: DictPool, keks: KeyEncryptionKeys, *, cache_size: int = 100_000,
                 cache_ttl: float = 60.0, tenant_scoped: bool = True) -> None:
        self._pool, self._keks = pool, keks
        self._cache: OrderedDict[UUID, tuple[float, bytes]] = OrderedDict()
        self._cache_size, self._ttl = cache_size, cache_ttl
        self._tenant_scoped = tenant_scoped
        self._lock = threading.Lock()

    # -- cache ------------------------------------------------------------------------------

    def _cached(self, subject_id: UUID) -> bytes | None:
        with self._lock:
            hit = self._cache.get(subject_id)
            if hit is None:
                return None
            stamp, key = hit
            if time.monotonic() - stamp > self._ttl:
                del self._cache[subject_id]
                return None
            self._cache.move_to_end(subject_id)
            return key

    def _remember(self, subject_id: UUID, key: bytes) -> None:
        with self._lock:
            self._cache[subject_id] = (time.monotonic(), key)
            self._cache.move_to_end(subject_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def forget(self, subject_id: UUID) -> None:
        """Drop a cached key (it will be looked up again)."""
        with self._lock:
            self._cache.pop(subject_id, None)

    def destroyed(self, subject_id: UUID) -> None:
        """This process destroyed the key: remember that at once, without a lookup."""
        self._remember(subject_id, self.DESTROYED)

    # -- lookups ----------------------------------------------------------------------------

    def prefetch(self, tenant_id: UUID | None, subject_ids: Iterable[UUID], *,
                 conn: psycopg.Connection[dict[str, Any]] | None = None) -> None:
        """Load many keys in one query (projection batches, aggregate loads). ``conn``: a
        connection of this store's pool the caller already holds (not in a transaction). A
        caller holding one must pass it: taking a second from the pool, with every runner of
        the process doing the same, can empty the pool and leave them all waiting."""
        missing = [s for s in set(subject_ids) if self._cached(s) is None]
        if missing:
            self._load(tenant_id, missing, conn)

    def keys_for_read(self, tenant_id: UUID | None, subject_ids: Iterable[UUID], *,
                      conn: psycopg.Connection[dict[str, Any]] | None = None
                      ) -> dict[UUID, bytes | None]:
        """``key_for_read`` for many subjects at once (a projection batch): the cached keys
        under one lock, the others in one query (``conn`` as for ``prefetch``)."""
        found: dict[UUID, bytes | None] = {}
        missing: list[UUID] = []
        now, ttl = time.monotonic(), self._ttl
        with self._lock:
            cache = self._cache
            for subject_id in set(subject_ids):
                hit = cache.get(subject_id)
                if hit is None or now - hit[0] > ttl:
                    missing.append(subject_id)
                else:
                    cache.move_to_end(subject_id)
                    found[subject_id] = hit[1] or None
        if missing:
            for subject_id, key in self._load(tenant_id, missing, conn).items():
                found[subject_id] = key or None
            for subject_id in missing:
                found.setdefault(subject_id, None)  # no key at all: nothing to decrypt with
        return found

    def _load(self, tenant_id: UUID | None, missing: list[UUID],
              conn: psycopg.Connection[dict[str, Any]] | None) -> dict[UUID, bytes]:
        """Fetch, unwrap and cache the keys of ``missing`` (DESTROYED for erased subjects;
        subjects without a key are left out)."""
        if conn is None:
            with self._pool.connection() as pooled:
                rows = self._fetch(pooled, tenant_id, missing)
        else:
            rows = self._fetch(conn, tenant_id, missing)
        loaded: dict[UUID, bytes] = {}
        for row in rows:
            subject_id, kek_id, wrapped = _row(row)
            key = self.DESTROYED if wrapped is None else self._keks.unwrap(kek_id,
                                                                           bytes(wrapped))
            self._remember(subject_id, key)
            loaded[subject_id] = key
        return loaded

    def _fetch(self, conn: psycopg.Connection[dict[str, Any]], tenant_id: UUID | None,
               missing: list[UUID]) -> list[dict[str, Any]]:
        with conn.transaction():
            if self._tenant_scoped:
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))
            return conn.execute("SELECT subject_id, kek_id, wrapped_key FROM data_keys "
                                "WHERE subject_id = ANY(%s)", (missing,)).fetchall()

    def key_for_read(self, tenant_id: UUID | None, subject_id: UUID) -> bytes | None:
        """The subject's key, or None when it was destroyed (or never existed)."""
        key = self._cached(subject_id)
        if key is None:
            self.prefetch(tenant_id, [subject_id])
            key = self._cached(subject_id)
        return key or None

    def key_for_write(self, tenant_id: UUID, subject_id: UUID, *,
                      new_subject: bool = False) -> tuple[bytes, NewDataKey | None]:
        """The subject's key; a new subject gets a new key, to be stored with the events.

        ``new_subject`` (the subject is created by this very write) skips the lookup.
        """
        if not new_subject:
            key = self.key_for_read(tenant_id, subject_id)
            if key is not None:
                return key, None
            if self._cached(subject_id) == self.DESTROYED:
                raise SubjectErased("this person was erased: nothing personal can be "
                                    "recorded about them again", subject_id=str(subject_id))
        key = random_bytes.take(32)
        kek_id, wrapped = self._keks.wrap(key)
        return key, NewDataKey(tenant_id, subject_id, kek_id, wrapped)

    def adopt(self, new_keys: Iterable[NewDataKey], plain: dict[UUID, bytes]) -> None:
        """After a successful commit, remember the keys it stored (``plain``: subject -> key,
        as created for the commit, so nothing needs unwrapping)."""
        for new in new_keys:
            self._remember(new.subject_id, plain[new.subject_id])


def _row(row: dict[str, Any]) -> tuple[UUID, str, bytes | None]:
    return row["subject_id"], row["kek_id"], row["wrapped_key"]
