"""The webhook channel against a real HTTP server (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from pydantic import SecretStr

from alerts.notify.channel import DeliveryFailed
from alerts.notify.signing import verify_signature
from alerts.notify.webhook import WebhookChannel, WebhookConfig
from core.clock import FakeClock, SystemClock
from tests.integration.alerts.notify.http_receiver import (
    Answer,
    RecordingReceiver,
    reserved_port,
    running_receiver,
)
from tests.unit.alerts.notify.samples import T0, message

pytestmark = pytest.mark.integration

SECRET = "whsec-0123456789"


def hook(receiver_url: str, **options: object) -> WebhookChannel:
    config = WebhookConfig.model_validate(
        {"url": receiver_url, "secret": SECRET, "timeout_s": 5, **options}
    )
    return WebhookChannel("hook", config, clock=FakeClock(T0))


async def test_a_signed_alertmanager_payload_arrives() -> None:
    async with running_receiver() as receiver:
        channel = hook(
            f"{receiver.base_url}/alerts?team=gz",
            headers={"X-Team": "gz"},
            bearer_token="hook-token",
        )
        await channel.send(replace(message(), delivery_id="d7"))
        await channel.aclose()
    (request,) = receiver.requests
    assert request.method == "POST"
    assert (request.path, request.query) == ("/alerts", "team=gz")
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["x-team"] == "gz"
    assert request.headers["authorization"] == "Bearer hook-token"
    assert request.headers["x-ssnoc-delivery"] == "d7"
    assert verify_signature(
        SECRET,
        timestamp=request.headers["x-ssnoc-timestamp"],
        signature_header=request.headers["x-ssnoc-signature"],
        body=request.body,
        now=T0,
    )
    payload = json.loads(request.body)
    assert payload["version"] == "4"
    assert payload["deliveryId"] == "d7"
    assert [a["fingerprint"] for a in payload["alerts"]] == ["fp-440103", "fp-440105"]
    assert SECRET.encode() not in request.body
    assert all(SECRET not in value for value in request.headers.values())


async def test_without_a_secret_requests_are_unsigned() -> None:
    async with running_receiver() as receiver:
        channel = hook(receiver.base_url, secret=None)
        await channel.send(message())
        await channel.aclose()
    assert "x-ssnoc-signature" not in receiver.requests[0].headers


@pytest.mark.parametrize(
    ("answer", "retryable", "retry_after_s"),
    [
        (Answer(500, b"internal error"), True, None),
        (Answer(503, b"", {"Retry-After": "17"}), True, 17),
        (Answer(429, b"slow down", {"Retry-After": "60"}), True, 60),
        (Answer(408, b"timeout"), True, None),
        (Answer(400, b"bad payload"), False, None),
        (Answer(401, b"bad signature"), False, None),
        (Answer(404, b""), False, None),
    ],
)
async def test_answers_sort_into_retryable_and_final(
    answer: Answer, retryable: bool, retry_after_s: float | None
) -> None:
    async with running_receiver() as receiver:
        receiver.answer_next(answer)
        channel = hook(f"{receiver.base_url}/hook/T0K3N")
        with pytest.raises(DeliveryFailed) as failed:
            await channel.send(message())
        await channel.aclose()
    assert failed.value.retryable is retryable
    assert failed.value.retry_after_s == retry_after_s
    assert failed.value.reason.startswith(f"{receiver.base_url} answered HTTP {answer.status}")
    assert "T0K3N" not in failed.value.reason


async def test_a_receiver_that_is_down_is_retryable() -> None:
    sock = reserved_port()  # bound, not listening: connections are refused
    try:
        channel = hook(f"http://127.0.0.1:{sock.getsockname()[1]}/hook/T0K3N")
        with pytest.raises(DeliveryFailed) as down:
            await channel.send(message())
        await channel.aclose()
    finally:
        sock.close()
    assert down.value.retryable
    assert down.value.reason.startswith("cannot reach http://127.0.0.1:")
    assert "T0K3N" not in down.value.reason


async def test_a_receiver_that_does_not_answer_in_time_is_retryable() -> None:
    async with running_receiver() as receiver:
        receiver.delay_s = 0.4
        channel = hook(receiver.base_url, timeout_s=0.2)
        with pytest.raises(DeliveryFailed) as slow:
            await channel.send(message())
        await channel.aclose()
    assert slow.value.retryable
    assert slow.value.reason == f"no answer from {receiver.base_url} within 0.2 s"


async def test_a_receiver_can_verify_against_its_own_clock() -> None:
    """The signature is made on the channel's clock: with the real clock, a receiver checking
    against its own real clock accepts it."""
    async with running_receiver() as receiver:
        config = WebhookConfig(url=receiver.base_url, secret=SecretStr(SECRET))
        channel = WebhookChannel("hook", config, clock=SystemClock())
        await channel.send(message())
        await channel.aclose()
    request = receiver.requests[0]
    assert isinstance(receiver, RecordingReceiver)
    assert verify_signature(
        SECRET,
        timestamp=request.headers["x-ssnoc-timestamp"],
        signature_header=request.headers["x-ssnoc-signature"],
        body=request.body,
        now=SystemClock().now(),
    )


def test_the_secret_never_shows() -> None:
    config = WebhookConfig(url="https://h.example/x/T0K3N", secret=SecretStr(SECRET))
    channel = WebhookChannel("hook", config, clock=FakeClock(T0))
    assert SECRET not in repr(config)
    assert "T0K3N" not in repr(channel)
