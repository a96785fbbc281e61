"""The SMS channel against a real HTTP server standing in for an SMS gateway."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr, ValidationError

from alerts.notify.channel import DeliveryFailed
from alerts.notify.message import AlertMessage
from alerts.notify.signing import verify_signature
from alerts.notify.sms import SmsChannel, SmsGatewayConfig, masked, render_body
from core.clock import FakeClock
from tests.integration.alerts.notify.http_receiver import Answer, running_receiver
from tests.unit.alerts.notify.samples import T0, county_unreachable, message

pytestmark = pytest.mark.integration

PHONES = ("13800138000", "+8613900139000")
TOKEN = "gw-token-abcdef"


def sms(url: str, **options: object) -> SmsChannel:
    config = SmsGatewayConfig.model_validate(
        {"url": url, "recipients": PHONES, "timeout_s": 5, **options}
    )
    return SmsChannel("sms", config, clock=FakeClock(T0))


def chinese() -> AlertMessage:
    return replace(
        message(
            county_unreachable(
                summary='越秀区社保服务中心 "网络" 中断', caused_by="广州 汇聚节点上联故障"
            )
        ),
        delivery_id="d9",
    )


async def test_one_json_request_per_phone_with_a_bearer_token() -> None:
    async with running_receiver() as gateway:
        channel = sms(f"{gateway.base_url}/api/send", bearer_token=TOKEN)
        await channel.send(chinese())
        await channel.aclose()
    assert [r.method for r in gateway.requests] == ["POST", "POST"]
    bodies = [json.loads(r.body) for r in gateway.requests]
    assert [b["to"] for b in bodies] == list(PHONES)
    text = bodies[0]["text"]
    assert text == '[FIRING:1] 越秀区社保服务中心 "网络" 中断 (root cause: 广州 汇聚节点上联故障)'
    assert len(text) <= 140
    first = gateway.requests[0]
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    assert first.headers["x-ssnoc-delivery"] == "d9"


async def test_a_form_get_gateway_gets_the_text_in_the_query() -> None:
    async with running_receiver() as gateway:
        channel = sms(
            f"{gateway.base_url}/cgi/sms?user=noc",
            method="GET",
            encoding="form",
            body_template="mobile={to}&content={text}",
        )
        await channel.send(chinese())
        await channel.aclose()
    query = parse_qs(gateway.requests[1].query)
    assert query["user"] == ["noc"]
    assert query["mobile"] == ["+8613900139000"]
    assert query["content"][0].startswith('[FIRING:1] 越秀区社保服务中心 "网络" 中断')
    assert gateway.requests[1].body == b""


async def test_hmac_signed_gateway_requests_verify() -> None:
    async with running_receiver() as gateway:
        channel = sms(gateway.base_url, hmac_secret="gw-hmac")
        await channel.send(chinese())
        await channel.aclose()
    for request in gateway.requests:
        assert verify_signature(
            "gw-hmac",
            timestamp=request.headers["x-ssnoc-timestamp"],
            signature_header=request.headers["x-ssnoc-signature"],
            body=request.body,
            now=T0,
        )


async def test_a_retry_texts_only_the_number_that_failed() -> None:
    async with running_receiver() as gateway:
        gateway.answer_next(Answer(200), Answer(503, b"gateway busy"))
        channel = sms(gateway.base_url, bearer_token=TOKEN)
        with pytest.raises(DeliveryFailed) as busy:
            await channel.send(chinese())
        await channel.send(chinese())
        await channel.aclose()
    assert busy.value.retryable
    assert (
        busy.value.reason == f"+86139****9000: {gateway.base_url} answered HTTP 503: gateway busy"
    )
    assert [json.loads(r.body)["to"] for r in gateway.requests] == [
        "13800138000",
        "+8613900139000",
        "+8613900139000",
    ]


async def test_a_number_refused_for_good_is_a_final_failure_that_names_it() -> None:
    async with running_receiver() as gateway:
        gateway.answer_next(Answer(400, f"invalid number, token {TOKEN}".encode()))
        channel = sms(gateway.base_url, bearer_token=TOKEN)
        with pytest.raises(DeliveryFailed) as refused:
            await channel.send(chinese())
        await channel.aclose()
    assert not refused.value.retryable
    assert refused.value.reason.startswith("138****8000: ")
    assert TOKEN not in refused.value.reason
    assert len(gateway.requests) == 2  # the other number was still texted


def test_templates_escape_values_for_their_encoding() -> None:
    text = 'a "quoted"\nline & 中文'
    body = render_body('{"to": "{to}", "msg": "{text}"}', "json", to="1", text=text)
    assert json.loads(body) == {"to": "1", "msg": text}
    assert render_body("m={to}&c={text}", "form", to="+86 1", text="a&b=中") == (
        "m=%2B86+1&c=a%26b%3D%E4%B8%AD"
    )


def test_config_is_checked_and_keeps_its_secrets() -> None:
    with pytest.raises(ValidationError, match="text"):
        SmsGatewayConfig(url="http://gw", recipients=("1",), body_template="{to}")
    with pytest.raises(ValidationError, match="GET"):
        SmsGatewayConfig(url="http://gw", recipients=("1",), method="GET")
    config = SmsGatewayConfig(url="http://gw", recipients=("1",), bearer_token=SecretStr(TOKEN))
    assert TOKEN not in repr(config)
    assert masked("13800138000") == "138****8000"
    assert masked("110") == "****"
