"""Signing outgoing HTTP notifications so a receiver can trust them.

Every signed request carries two headers::

    X-Ssnoc-Timestamp: 1767225600
    X-Ssnoc-Signature: sha256=5d41402abc4b2a76b9719d911017c592...

The signature is HMAC-SHA256, keyed with the shared secret, over the ASCII timestamp, a full stop,
and the raw request body exactly as received (bytes, before any JSON parsing)::

    signed = timestamp.encode("ascii") + b"." + body
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()

How a receiver verifies (any language; Python shown, :func:`verify_signature` does all of it):

1. Read ``X-Ssnoc-Timestamp`` and ``X-Ssnoc-Signature``; reject the request if either is missing.
2. Reject it if the timestamp is more than five minutes from the receiver's own clock: a replayed
   old request then fails even though its signature is genuine.
3. Compute ``expected`` as above over the raw body and compare it with the header in constant
   time (``hmac.compare_digest``); reject on a mismatch.
4. Only then parse the JSON. ``X-Ssnoc-Delivery`` is the same on every retry of one
   notification: keep the ones seen recently and ignore repeats.

The secret is never sent, logged or shown; only the signature travels.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

TIMESTAMP_HEADER = "X-Ssnoc-Timestamp"
SIGNATURE_HEADER = "X-Ssnoc-Signature"
DELIVERY_HEADER = "X-Ssnoc-Delivery"
DEFAULT_TOLERANCE_S = 300.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``timestamp + "." + body`` keyed with ``secret``."""
    signed = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    """The two headers that sign ``body`` at ``now``."""
    timestamp = str(int(now.timestamp()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify_signature(
    secret: str,
    *,
    timestamp: str | None,
    signature_header: str | None,
    body: bytes,
    now: datetime,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """True when a received request is signed with ``secret`` and fresh (see the module's steps)."""
    if not timestamp or not signature_header or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), signature_header.strip().encode("utf-8"))
