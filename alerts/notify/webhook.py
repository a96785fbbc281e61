"""The webhook channel: the notification as Alertmanager-style JSON, POSTed and signed.

The body is :func:`alerts.notify.render.webhook_body`; with a secret configured the request is
signed as :mod:`alerts.notify.signing` describes (which also tells receivers how to verify).
``X-Ssnoc-Delivery`` carries the delivery id, the same on every retry, for deduplication.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from alerts.notify.channel import safe_target
from alerts.notify.http_post import HttpTargetConfig, send_request
from alerts.notify.message import AlertMessage
from alerts.notify.render import webhook_body
from alerts.notify.signing import DELIVERY_HEADER, signed_headers
from core.clock import Clock


class WebhookConfig(HttpTargetConfig):
    """One webhook receiver."""

    secret: SecretStr | None = None
    """HMAC-SHA256 signing key shared with the receiver; ``None`` sends unsigned requests."""
    max_alerts: int = Field(default=0, ge=0)
    """Most alerts in one payload (the rest are counted in ``truncatedAlerts``); 0: all."""


class WebhookChannel:
    """Delivers notifications to one webhook receiver over a pooled httpx client."""

    def __init__(self, name: str, config: WebhookConfig, *, clock: Clock) -> None:
        self._name = name
        self._config = config
        self._clock = clock
        self._client = config.make_client()

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"WebhookChannel({self._name!r}, {safe_target(self._config.url)})"

    async def send(self, message: AlertMessage) -> None:
        """POST the message; raise :class:`~alerts.notify.channel.DeliveryFailed` unless 2xx."""
        config = self._config
        body = webhook_body(message, max_alerts=config.max_alerts)
        headers, secrets = config.base_headers()
        headers["Content-Type"] = "application/json; charset=utf-8"
        if message.delivery_id:
            headers[DELIVERY_HEADER] = message.delivery_id
        if config.secret is not None:
            secret = config.secret.get_secret_value()
            secrets.append(secret)
            headers.update(signed_headers(secret, body, self._clock.now()))
        await send_request(
            self._client,
            channel=self._name,
            method="POST",
            url=config.url,
            content=body,
            headers=headers,
            timeout_s=config.timeout_s,
            secrets=secrets,
        )

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()
