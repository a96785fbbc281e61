"""The SMS channel: a generic SMS-gateway HTTP API, one request per phone number.

Gateways differ in everything but the idea, so the request is configured, not coded: the URL,
the method, and a body template in which ``{to}`` and ``{text}`` are replaced by the phone number
and the message (:func:`alerts.notify.render.sms_text`, at most 140 characters), escaped for the
template's encoding — JSON string content, form (``application/x-www-form-urlencoded``; for GET
the rendered form becomes the query string), or raw text. Authentication is an optional bearer
token (``bearer_token``) and/or the same HMAC signature as the webhook channel.

A number the gateway accepted is not sent again when the others are retried; one it refused for
good (4xx) ends the delivery as a final failure that names it (masked: ``138****5678``).
"""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import quote_plus

from pydantic import Field, SecretStr, model_validator

from alerts.notify.channel import DeliveryFailed, RecipientProgress, safe_target
from alerts.notify.http_post import HttpTargetConfig, send_request
from alerts.notify.message import AlertMessage
from alerts.notify.render import SMS_MAX_CHARS, sms_text
from alerts.notify.signing import DELIVERY_HEADER, signed_headers
from core.clock import Clock

Encoding = Literal["json", "form", "raw"]
_CONTENT_TYPES: dict[str, str] = {
    "json": "application/json; charset=utf-8",
    "form": "application/x-www-form-urlencoded",
    "raw": "text/plain; charset=utf-8",
}


class SmsGatewayConfig(HttpTargetConfig):
    """One SMS gateway and the phone numbers it texts."""

    recipients: tuple[str, ...] = Field(min_length=1)
    """Phone numbers, as the gateway wants them (``13800138000``, ``+8613800138000``)."""
    method: Literal["POST", "PUT", "GET"] = "POST"
    body_template: str = '{"to": "{to}", "text": "{text}"}'
    """The request body with ``{to}`` and ``{text}`` placeholders (other braces are literal)."""
    encoding: Encoding = "json"
    """How the placeholders' values are escaped, and the request's Content-Type."""
    hmac_secret: SecretStr | None = None
    """Signs each request (``X-Ssnoc-Timestamp``, ``X-Ssnoc-Signature``) when set."""
    max_chars: int = Field(default=SMS_MAX_CHARS, ge=20, le=1000)
    """Longest text sent, in characters (not bytes)."""

    @model_validator(mode="after")
    def _consistent(self) -> SmsGatewayConfig:
        if "{text}" not in self.body_template:
            raise ValueError("body_template must contain {text}")
        if self.method == "GET" and self.encoding != "form":
            raise ValueError("a GET gateway needs encoding 'form' (the template is the query)")
        return self


def render_body(template: str, encoding: Encoding, *, to: str, text: str) -> str:
    """``template`` with ``{to}`` and ``{text}`` replaced by escaped values."""

    def escape(value: str) -> str:
        if encoding == "json":
            return json.dumps(value, ensure_ascii=False)[1:-1]
        if encoding == "form":
            return quote_plus(value)
        return value

    # Not str.format: a JSON template is full of braces that are not placeholders.
    return template.replace("{to}", escape(to)).replace("{text}", escape(text))


def masked(phone: str) -> str:
    """``138****5678``: enough to tell numbers apart in a log, not enough to call one."""
    if len(phone) < 8:
        return "****"
    return phone[: len(phone) - 8] + "****" + phone[-4:]


class SmsChannel:
    """Texts each configured phone number through the gateway."""

    def __init__(self, name: str, config: SmsGatewayConfig, *, clock: Clock) -> None:
        self._name = name
        self._config = config
        self._clock = clock
        self._client = config.make_client()
        self._progress = RecipientProgress()

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"SmsChannel({self._name!r}, {safe_target(self._config.url)})"

    async def send(self, message: AlertMessage) -> None:
        """Text every number that has not got this delivery yet; raise
        :class:`~alerts.notify.channel.DeliveryFailed` naming those that failed."""
        text = sms_text(message, max_chars=self._config.max_chars)
        accepted: list[str] = []
        retry: dict[str, str] = {}
        final: dict[str, str] = {}
        for phone in self._progress.outstanding(message.delivery_id, self._config.recipients):
            try:
                await self._send_one(phone, text, message.delivery_id)
            except DeliveryFailed as failure:
                (retry if failure.retryable else final)[phone] = failure.reason
            else:
                accepted.append(phone)
        self._progress.settle(
            self._name,
            message.delivery_id,
            accepted=accepted,
            retry=retry,
            final=final,
            shown=masked,
        )

    async def _send_one(self, phone: str, text: str, delivery_id: str | None) -> None:
        config = self._config
        rendered = render_body(config.body_template, config.encoding, to=phone, text=text)
        url, content = config.url, rendered.encode("utf-8")
        headers, secrets = config.base_headers()
        if config.method == "GET":
            url = f"{url}{'&' if '?' in url else '?'}{rendered}"
            content = b""
        else:
            headers["Content-Type"] = _CONTENT_TYPES[config.encoding]
        if delivery_id:
            headers[DELIVERY_HEADER] = delivery_id
        if config.hmac_secret is not None:
            secret = config.hmac_secret.get_secret_value()
            secrets.append(secret)
            headers.update(signed_headers(secret, content, self._clock.now()))
        await send_request(
            self._client,
            channel=self._name,
            method=config.method,
            url=url,
            content=content or None,
            headers=headers,
            timeout_s=config.timeout_s,
            secrets=secrets,
        )

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()
