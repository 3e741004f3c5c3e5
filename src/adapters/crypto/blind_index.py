"""Keyed hashes for equality checks on personal values (dedupe by email or phone).

HMAC-SHA256 over tenant, scope and value: the claims table can answer "is this email taken in
this tenant" without holding the email, and the same email hashes differently per tenant.

The keyed state is made once by the standard library's ``hmac`` and copied per digest (the
key is not re-padded and re-hashed for every value).
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID


class HmacBlindIndex:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the blind-index key must be at least 32 bytes")
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def digest(self, tenant_id: UUID, scope: str, value: str) -> bytes:
        keyed = self._keyed.copy()
        keyed.update(b"\x1f".join((tenant_id.bytes, scope.encode(), value.encode())))
        return keyed.digest()
