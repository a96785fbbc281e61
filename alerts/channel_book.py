"""The delivery channels of the alerting configuration's receivers, built once at start.

A receiver in the alerting configuration lists channels as a kind and a target (a webhook URL, a
mail address, a phone number). How each kind reaches out — the webhook signing key, the SMTP
relay and its login, the SMS gateway and its token — is set once in the settings
(:class:`core.settings.AlertSettings`; secrets come from there, never from the configuration
file, and are never logged). :class:`SettingsChannelFactory` joins the two.

Each channel gets a name the notification log shows: ``<receiver>/<kind>-<n>`` (``noc/webhook-1``),
never its target (a chat-service webhook URL is itself a secret). A channel that cannot be built
(an e-mail channel without an SMTP relay configured) is logged once at start and left out: its
deliveries then fail for good in the notification log, where someone sees them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from alerts.notify.channel import NotificationChannel
from alerts.notify.email import EmailChannel, EmailConfig
from alerts.notify.sms import SmsChannel, SmsGatewayConfig
from alerts.notify.webhook import WebhookChannel, WebhookConfig
from alerts.routing import Channel, ChannelKind, Receiver
from core.clock import Clock
from core.errors import ConfigError
from core.settings import AlertSettings

log = logging.getLogger(__name__)

ChannelFactory = Callable[[str, Channel], NotificationChannel]
"""Builds the channel called ``name`` for one configured channel; raises
:class:`~core.errors.ConfigError` when it cannot."""


@dataclass(frozen=True)
class ChannelSpec:
    """One channel of one receiver."""

    name: str
    """The delivery queue's and the notification log's name for it."""
    receiver: str
    kind: ChannelKind
    send_resolved: bool


@dataclass(frozen=True)
class ChannelBook:
    """Every receiver's channels, and the channels themselves by name."""

    channels: Mapping[str, NotificationChannel]
    by_receiver: Mapping[str, tuple[ChannelSpec, ...]]

    def of(self, receiver: str) -> tuple[ChannelSpec, ...]:
        """The channels of ``receiver`` (none for a receiver not configured)."""
        return self.by_receiver.get(receiver, ())

    async def aclose(self) -> None:
        """Close the channels that hold connections (webhook and SMS clients)."""
        for channel in self.channels.values():
            close = getattr(channel, "aclose", None)
            if close is not None:
                await close()


def channel_name(receiver: str, kind: ChannelKind, number: int) -> str:
    """``noc/webhook-1``: the receiver, the kind and the position among its channels."""
    return f"{receiver}/{kind.value}-{number}"


def build_channel_book(receivers: Mapping[str, Receiver], make: ChannelFactory) -> ChannelBook:
    """Every channel of every receiver, built by ``make``."""
    channels: dict[str, NotificationChannel] = {}
    by_receiver: dict[str, tuple[ChannelSpec, ...]] = {}
    for receiver in receivers.values():
        specs = []
        for number, channel in enumerate(receiver.channels, start=1):
            name = channel_name(receiver.name, channel.kind, number)
            specs.append(ChannelSpec(name, receiver.name, channel.kind, channel.send_resolved))
            try:
                channels[name] = make(name, channel)
            except ConfigError as exc:
                log.error("alert channel %s cannot be used: %s", name, exc)
        by_receiver[receiver.name] = tuple(specs)
    return ChannelBook(channels, by_receiver)


class SettingsChannelFactory:
    """Real channels: the target from the alerting configuration, the rest from the settings."""

    def __init__(self, settings: AlertSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock

    def __call__(self, name: str, channel: Channel) -> NotificationChannel:
        try:
            if channel.kind is ChannelKind.WEBHOOK:
                return self._webhook(name, channel.target)
            if channel.kind is ChannelKind.EMAIL:
                return self._email(name, channel.target)
            return self._sms(name, channel.target)
        except ValueError as exc:  # pydantic's ValidationError: a setting the channel refuses
            raise ConfigError(f"{channel.kind.value} channel: {_first_error(exc)}") from None

    def _webhook(self, name: str, url: str) -> WebhookChannel:
        settings = self._settings
        config = WebhookConfig(
            url=url, secret=settings.webhook_secret, timeout_s=settings.webhook_timeout_s
        )
        return WebhookChannel(name, config, clock=self._clock)

    def _email(self, name: str, address: str) -> EmailChannel:
        smtp = self._settings.smtp
        if smtp is None:
            raise ConfigError("no SMTP relay is configured (alerts.smtp in the settings)")
        config = EmailConfig(
            host=smtp.host,
            port=smtp.port,
            sender=smtp.sender,
            recipients=(address,),
            starttls=smtp.starttls,
            ca_file=None if smtp.ca_file is None else str(smtp.ca_file),
            username=smtp.username,
            password=smtp.password,
            timeout_s=smtp.timeout_s,
            timezone=smtp.timezone,
        )
        return EmailChannel(name, config, clock=self._clock)

    def _sms(self, name: str, phone: str) -> SmsChannel:
        gateway = self._settings.sms_gateway
        if gateway is None:
            raise ConfigError("no SMS gateway is configured (alerts.sms_gateway in the settings)")
        config = SmsGatewayConfig(
            url=gateway.url.get_secret_value(),
            recipients=(phone,),
            method=gateway.method,
            body_template=gateway.body_template,
            encoding=gateway.encoding,
            bearer_token=gateway.bearer_token,
            hmac_secret=gateway.hmac_secret,
            timeout_s=gateway.timeout_s,
        )
        return SmsChannel(name, config, clock=self._clock)


def _first_error(exc: ValueError) -> str:
    """The reason pydantic gives first, without the input (which may be a secret)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors(include_url=False, include_input=False)
        if found:
            first = found[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            return f"{where}: {first.get('msg', '')}" if where else str(first.get("msg", ""))
    return type(exc).__name__
