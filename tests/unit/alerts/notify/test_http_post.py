"""HTTP answers sorted into retryable and final, with no secret in the reason.

Pure: httpx's MockTransport stands in for the far end (the integration tests use a real server).
"""

from __future__ import annotations

import httpx
import pytest

from alerts.notify.channel import DeliveryFailed
from alerts.notify.http_post import (
    HttpTargetConfig,
    is_retryable_status,
    retry_after_s,
    send_request,
)

URL = "https://hooks.example.com/services/T0K3N/secret-path?key=abc"


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (408, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (301, False),
    ],
)
def test_which_statuses_are_worth_retrying(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


def test_retry_after_in_seconds_is_honoured_and_capped() -> None:
    assert retry_after_s("30") == 30
    assert retry_after_s("99999") == 3600
    assert retry_after_s("Wed, 21 Oct 2026 07:28:00 GMT") is None
    assert retry_after_s(None) is None


async def call(handler: httpx.MockTransport) -> None:
    async with httpx.AsyncClient(transport=handler) as client:
        await send_request(
            client,
            channel="hook",
            method="POST",
            url=URL,
            content=b"{}",
            headers={"Authorization": "Bearer tok-123"},
            timeout_s=1,
            secrets=["tok-123"],
        )


async def test_2xx_is_delivered() -> None:
    await call(httpx.MockTransport(lambda request: httpx.Response(204)))


async def test_an_echoed_secret_or_url_never_reaches_the_reason() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, text=f"bad token tok-123 for {request.url}")

    with pytest.raises(DeliveryFailed) as failed:
        await call(httpx.MockTransport(echo))
    reason = failed.value.reason
    assert not failed.value.retryable
    assert reason.startswith("https://hooks.example.com answered HTTP 401: bad token ***")
    assert "tok-123" not in reason
    assert "T0K3N" not in reason


async def test_429_carries_retry_after() -> None:
    def busy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "45"})

    with pytest.raises(DeliveryFailed) as failed:
        await call(httpx.MockTransport(busy))
    assert failed.value.retryable
    assert failed.value.retry_after_s == 45


async def test_a_failed_connection_is_retryable_and_names_no_path() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

    with pytest.raises(DeliveryFailed) as failed:
        await call(httpx.MockTransport(refuse))
    assert failed.value.retryable
    assert "T0K3N" not in failed.value.reason
    assert failed.value.__cause__ is None


def test_a_target_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        HttpTargetConfig(url="ftp://example.com/")
