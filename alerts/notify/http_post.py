"""One HTTP request to a far end, with httpx's errors translated into :class:`DeliveryFailed`.

Shared by the webhook and the SMS-gateway channels. What is retryable: no answer, a connection
that failed, 5xx, 408 (timeout) and 429 (too many requests, honouring ``Retry-After`` seconds).
Every other 4xx, a redirect or a malformed URL is final: the same request would fail again.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from alerts.notify.channel import DeliveryFailed, one_line, redact, safe_target

RETRY_AFTER_MAX_S = 3600.0


class HttpTargetConfig(BaseModel):
    """Where and how to reach an HTTP far end (a webhook receiver, an SMS gateway)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    """``http://`` or ``https://`` URL. Treated as a secret in logs: only scheme, host and port
    are ever shown (chat-service webhook URLs carry their token in the path)."""
    timeout_s: float = Field(default=10.0, gt=0)
    """Seconds for connecting, sending and waiting for the answer, each."""
    verify_tls: bool = True
    """Check the server's certificate (https). Turn off only for a lab."""
    ca_file: str | None = None
    """PEM file of the CA that signed the server's certificate; ``None`` uses the system's."""
    proxy: SecretStr | None = None
    """Proxy URL (may hold a password); ``None`` connects directly — proxy environment
    variables are deliberately ignored, so where notifications go is only what is configured."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra request headers (not secret: they may be shown; a token goes in ``bearer_token``)."""
    bearer_token: SecretStr | None = None
    """Sent as ``Authorization: Bearer …`` when set."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url

    def base_headers(self) -> tuple[dict[str, str], list[str]]:
        """The headers every request carries, and the secrets among their values."""
        headers = {**self.headers, "User-Agent": "ssnoc-notify/1"}
        secrets: list[str] = []
        if self.bearer_token is not None:
            token = self.bearer_token.get_secret_value()
            headers["Authorization"] = f"Bearer {token}"
            secrets.append(token)
        return headers, secrets

    def make_client(self) -> httpx.AsyncClient:
        """A pooled client for this far end (keep it: connections are reused)."""
        verify: ssl.SSLContext | bool = self.verify_tls
        if self.verify_tls and self.ca_file:
            verify = ssl.create_default_context(cafile=self.ca_file)
        proxy = self.proxy.get_secret_value() if self.proxy else None
        return httpx.AsyncClient(
            verify=verify,
            proxy=proxy,
            trust_env=False,
            follow_redirects=False,
            timeout=self.timeout_s,
        )


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP status means "try again later" rather than "this will never work"."""
    return status in (408, 429) or status >= 500


def retry_after_s(header: str | None) -> float | None:
    """``Retry-After`` in seconds (the delta-seconds form; an HTTP date is ignored), capped."""
    if header is None or not header.strip().isdigit():
        return None
    return min(float(header.strip()), RETRY_AFTER_MAX_S)


async def send_request(
    client: httpx.AsyncClient,
    *,
    channel: str,
    method: str,
    url: str,
    content: bytes | None,
    headers: Mapping[str, str],
    timeout_s: float,
    secrets: Iterable[str] = (),
) -> None:
    """Send one request; return on 2xx, raise :class:`DeliveryFailed` otherwise.

    Reasons name only ``scheme://host:port`` and never contain ``secrets`` or the URL's path.
    """
    target = safe_target(url)
    hidden = [*secrets, url]
    try:
        response = await client.request(
            method, url, content=content, headers=dict(headers), timeout=timeout_s
        )
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        raise DeliveryFailed(channel, f"malformed URL for {target}", retryable=False) from None
    except httpx.TimeoutException:
        reason = f"no answer from {target} within {timeout_s:g} s"
        raise DeliveryFailed(channel, reason, retryable=True) from None
    except httpx.TransportError as exc:
        # ``from None``: httpx's exception holds the request, whose URL may carry a token.
        detail = redact(one_line(str(exc)), hidden) or type(exc).__name__
        raise DeliveryFailed(channel, f"cannot reach {target}: {detail}", retryable=True) from None
    status = response.status_code
    if 200 <= status < 300:
        return
    answer = redact(one_line(response.text), hidden)
    reason = f"{target} answered HTTP {status}" + (f": {answer}" if answer else "")
    retryable = is_retryable_status(status)
    wait_s = retry_after_s(response.headers.get("Retry-After")) if retryable else None
    raise DeliveryFailed(channel, reason, retryable=retryable, retry_after_s=wait_s)
