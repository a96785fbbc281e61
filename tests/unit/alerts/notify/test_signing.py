"""Signatures a receiver can check: HMAC-SHA256 over timestamp + "." + body, fresh only."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from alerts.notify.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
    signed_headers,
    verify_signature,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BODY = '{"status":"firing","summary":"县 440103 不可达"}'.encode()


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert signature("s3cret", "1767225600", BODY) == f"sha256={expected}"


def test_signed_headers_verify_at_the_receiver() -> None:
    headers = signed_headers("s3cret", BODY, NOW)
    assert headers[TIMESTAMP_HEADER] == "1767225600"
    assert verify_signature(
        "s3cret",
        timestamp=headers[TIMESTAMP_HEADER],
        signature_header=headers[SIGNATURE_HEADER],
        body=BODY,
        now=NOW + timedelta(seconds=30),
    )


def test_a_changed_body_a_wrong_secret_or_a_stale_request_fail() -> None:
    headers = signed_headers("s3cret", BODY, NOW)
    ts, sig = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    assert not verify_signature(
        "s3cret", timestamp=ts, signature_header=sig, body=BODY + b" ", now=NOW
    )
    assert not verify_signature("other", timestamp=ts, signature_header=sig, body=BODY, now=NOW)
    late = NOW + timedelta(minutes=6)
    assert not verify_signature("s3cret", timestamp=ts, signature_header=sig, body=BODY, now=late)
    assert not verify_signature("s3cret", timestamp=None, signature_header=sig, body=BODY, now=NOW)
    assert not verify_signature("s3cret", timestamp="x1", signature_header=sig, body=BODY, now=NOW)
