"""Notifications: what an alert group's message says, the channels that carry it, and delivery
that retries until it arrives.

- :mod:`.message` — :class:`AlertMessage`, the neutral payload the rest of alerts builds.
- :mod:`.render` — webhook JSON (Alertmanager v4 shape), e-mail subject/text/HTML, SMS text.
- :mod:`.webhook`, :mod:`.email`, :mod:`.sms` — channels; each ``send`` raises
  :class:`DeliveryFailed` saying whether a retry may help. :mod:`.signing` documents how a
  receiver verifies a signed request.
- :mod:`.delivery` — :class:`DeliveryQueue`: back-off with jitter, lanes, restart-safe.
- :mod:`.log`, :mod:`.sql_log` — the notification log, in memory or in the state DB.
"""

from __future__ import annotations

from alerts.notify.channel import DeliveryFailed, NotificationChannel
from alerts.notify.delivery import DeliveryQueue, RetryPolicy
from alerts.notify.email import EmailChannel, EmailConfig
from alerts.notify.log import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    InMemoryNotificationLog,
    NotificationLog,
)
from alerts.notify.message import AlertItem, AlertMessage, AlertStatus, NotifyReason
from alerts.notify.sms import SmsChannel, SmsGatewayConfig
from alerts.notify.sql_log import SqlNotificationLog
from alerts.notify.webhook import WebhookChannel, WebhookConfig

__all__ = [
    "AlertItem",
    "AlertMessage",
    "AlertStatus",
    "AttemptOutcome",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryFailed",
    "DeliveryQueue",
    "DeliveryState",
    "EmailChannel",
    "EmailConfig",
    "InMemoryNotificationLog",
    "NotificationChannel",
    "NotificationLog",
    "NotifyReason",
    "RetryPolicy",
    "SmsChannel",
    "SmsGatewayConfig",
    "SqlNotificationLog",
    "WebhookChannel",
    "WebhookConfig",
]
