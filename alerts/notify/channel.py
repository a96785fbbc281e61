"""What every notification channel is and how it fails.

A channel (webhook, e-mail, SMS) has a name and one coroutine, ``send(message)``. It returns when
the far end has accepted the message and raises :class:`DeliveryFailed` otherwise, saying whether
trying again later may help. Vendor errors (httpx, smtplib) are translated inside the channel;
the reason never contains a secret (tokens, passwords, signing keys, URL paths and queries).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol
from urllib.parse import urlsplit

from alerts.notify.message import AlertMessage
from core.errors import NocError


class DeliveryFailed(NocError):
    """A channel could not deliver a notification.

    ``retryable`` says whether the same message may succeed later (the far end is down, busy or
    answered "try again"); a non-retryable failure (refused, misconfigured) is final.
    ``retry_after_s`` is the far end's own wish (HTTP ``Retry-After``), when it said one.
    """

    def __init__(
        self, channel: str, reason: str, *, retryable: bool, retry_after_s: float | None = None
    ) -> None:
        self.channel = channel
        self.reason = reason
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        kind = "retryable" if retryable else "final"
        super().__init__(f"{channel}: {reason} ({kind})")


class NotificationChannel(Protocol):
    """Something that can deliver an :class:`AlertMessage`."""

    @property
    def name(self) -> str:
        """The channel's configured name (what the routing and the log call it)."""
        ...

    async def send(self, message: AlertMessage) -> None:
        """Deliver ``message``; raise :class:`DeliveryFailed` when it was not accepted."""
        ...


def safe_target(url: str) -> str:
    """``scheme://host:port`` of ``url``: enough to say where, never a token in a path or query
    (webhook URLs of chat services are themselves secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***`` (a far end may echo one back)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, at most ``limit`` characters: a far end's answer, fit for a log."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class RecipientProgress:
    """Which recipients of a delivery already have it, so a retry reaches only the others.

    Channels with several recipients (e-mail addresses, phone numbers) may succeed for some and
    fail for others; retrying all would send duplicates. A recipient refused for good is not tried
    again, but the delivery then ends as a final failure that names it, so it is seen. Memory is
    bounded: the oldest deliveries are forgotten first, which at worst causes a duplicate.
    """

    def __init__(self, max_deliveries: int = 1000) -> None:
        self._done: OrderedDict[str, set[str]] = OrderedDict()
        self._refused: dict[str, dict[str, str]] = {}
        self._max = max_deliveries

    def outstanding(self, delivery_id: str | None, recipients: Iterable[str]) -> list[str]:
        """The recipients of ``delivery_id`` still to try, in configured order."""
        done = self._done.get(delivery_id, set()) if delivery_id else set()
        return [r for r in recipients if r not in done]

    def settle(
        self,
        channel: str,
        delivery_id: str | None,
        *,
        accepted: Iterable[str],
        retry: Mapping[str, str],
        final: Mapping[str, str],
        shown: Callable[[str], str] = str,
    ) -> None:
        """Record one attempt's outcome per recipient; raise :class:`DeliveryFailed` unless every
        recipient has now got the message (retryable while any failure was temporary).

        ``retry`` and ``final`` map recipients to reasons; ``shown`` is how a recipient is named
        in the failure's reason (a phone number is masked)."""
        if delivery_id:
            done = self._done.setdefault(delivery_id, set())
            done.update(accepted)
            done.update(final)
            self._done.move_to_end(delivery_id)
            refused = self._refused.setdefault(delivery_id, {})
            refused.update(final)
            final = dict(refused)
            while len(self._done) > self._max:
                oldest, _ = self._done.popitem(last=False)
                self._refused.pop(oldest, None)
        if retry:
            reason = _per_recipient({**retry, **final}, shown)
            raise DeliveryFailed(channel, reason, retryable=True)
        self.forget(delivery_id)
        if final:
            raise DeliveryFailed(channel, _per_recipient(final, shown), retryable=False)

    def forget(self, delivery_id: str | None) -> None:
        """The delivery is finished: drop what was remembered about it."""
        if delivery_id:
            self._done.pop(delivery_id, None)
            self._refused.pop(delivery_id, None)


def _per_recipient(reasons: Mapping[str, str], shown: Callable[[str], str]) -> str:
    return "; ".join(f"{shown(who)}: {why}" for who, why in reasons.items())
