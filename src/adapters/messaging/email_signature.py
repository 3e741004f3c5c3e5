"""The inbound-email webhook's signature (ADR 0082, security gap 4).

``X-Frontdesk-Timestamp``: Unix seconds when the relay signed; ``X-Frontdesk-Signature``:
``sha256=`` + hex HMAC-SHA256, keyed by the secret's UTF-8 bytes, of
``<timestamp>.<tenant slug>.`` followed by the raw body. The slug binds a signature to one
tenant's URL, the timestamp bounds its life to TOLERANCE_SECONDS either side of our clock
(Stripe's and Standard Webhooks' scheme)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Frontdesk-Signature"
TIMESTAMP_HEADER = "X-Frontdesk-Timestamp"
TOLERANCE_SECONDS = 300


def email_signature(secret: str, timestamp: int | str, slug: str, body: bytes) -> str:
    signed = f"{timestamp}.{slug}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def timestamp_fresh(timestamp: str, now: float, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whole Unix seconds within ``tolerance`` of ``now`` (before or after)."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    return abs(now - int(timestamp)) <= tolerance


def signature_valid(secret: str, timestamp: str, slug: str, body: bytes,
                    signature: str) -> bool:
    expected = email_signature(secret, timestamp, slug, body)
    return hmac.compare_digest(signature.encode(), expected.encode())
