"""What the pipeline tells people, as :class:`~alerts.notify.message.AlertMessage` s.

Three sources, one message shape:

- a dispatcher :class:`~alerts.dispatch.Notification` (one alert group for one receiver): its
  firing alerts, headline first, each listing the summaries of the alerts folded under it, then
  its resolved alerts;
- an escalation :class:`~alerts.escalation.Page` (``reason: escalation``): the group's
  unacknowledged firing alerts, for the paged user's own receiver;
- a silence or maintenance window starting or ending (:class:`~alerts.silences.SuppressionStarted`
  / ``SuppressionEnded``): one pseudo-alert, firing while the suppression holds and resolved when
  it ends, so that both notices thread together (group ``suppression:<kind>:<id>``). Its labels
  are what routing needs to find the team concerned: the silence's equality matchers, or the
  window's region (with its province/city/county) or device when it has exactly one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from alerts.dispatch import Notification
from alerts.escalation import Page
from alerts.maintenance import MaintenanceWindow
from alerts.matchers import AlertLike, MatchType
from alerts.model import Alert, AlertStatus, region_levels
from alerts.notify.message import AlertItem, AlertMessage, NotifyReason
from alerts.notify.message import AlertStatus as MessageStatus
from alerts.silences import Silence, SuppressionEnded, SuppressionEvent, SuppressionStarted

Summaries = Callable[[str], str | None]
"""Fingerprint → the summary of that alert (``None`` when it is unknown)."""


def summary_of(alert: Alert) -> str:
    """The one-line headline of an alert: its ``summary`` annotation, else its rule."""
    return alert.annotations.get("summary") or alert.labels.get("alertname") or alert.rule


def _alert(alert: AlertLike) -> Alert:
    if not isinstance(alert, Alert):  # the pipeline only ever hands the dispatcher Alerts
        raise TypeError(f"expected an Alert, got {type(alert).__name__}")
    return alert


def alert_item(
    alert: Alert, summaries: Summaries, consequences: Sequence[AlertLike] = ()
) -> AlertItem:
    """``alert`` as plain values, with its cause's and its consequences' summaries."""
    firing = alert.status is AlertStatus.FIRING
    return AlertItem(
        fingerprint=alert.fingerprint,
        status=MessageStatus.FIRING if firing else MessageStatus.RESOLVED,
        severity=alert.severity.value,
        labels=alert.labels,
        annotations=alert.annotations,
        starts_at=alert.starts_at or alert.pending_since or alert.last_transition_at,
        ends_at=None if firing else alert.ends_at,
        caused_by=summaries(alert.caused_by) if alert.caused_by else None,
        consequences=tuple(summary_of(_alert(c)) for c in consequences),
    )


def notification_message(notification: Notification, summaries: Summaries) -> AlertMessage:
    """The message telling ``notification.receiver`` about one alert group."""
    items = [
        alert_item(_alert(a), summaries, notification.consequences.get(a.fingerprint, ()))
        for a in notification.firing
    ]
    items += [alert_item(_alert(a), summaries) for a in notification.resolved]
    return AlertMessage(
        receiver=notification.receiver,
        group_key=notification.group_key,
        status=MessageStatus.FIRING if notification.firing else MessageStatus.RESOLVED,
        alerts=tuple(items),
        reason=NotifyReason(notification.reason.value),
        group_labels=notification.group_labels,
    )


def page_message(page: Page, alerts: Mapping[str, Alert], summaries: Summaries) -> AlertMessage:
    """The message paging ``page.user`` (their receiver is named after them); ``ValueError``
    when none of the page's alerts is known any more."""
    if page.user is None:
        raise ValueError(f"nobody to page for {page.target}")
    items = [alert_item(alerts[fp], summaries) for fp in page.alert_fingerprints if fp in alerts]
    return AlertMessage(
        receiver=page.user,
        group_key=page.group_key,
        status=MessageStatus.FIRING,
        alerts=tuple(items),
        reason=NotifyReason.ESCALATION,
        group_labels={"policy": page.policy, "step": str(page.step), "round": str(page.round)},
    )


def suppression_labels(
    event: SuppressionEvent, silence: Silence | None, window: MaintenanceWindow | None
) -> dict[str, str]:
    """Labels routing a suppression notice to the team concerned (see the module docstring)."""
    labels = {
        "alertname": event.kind.value,
        "severity": "info",
        "suppression_id": event.suppression_id,
    }
    if silence is not None:
        for matcher in silence.matchers:
            if matcher.type is MatchType.EQUAL and matcher.name not in labels:
                labels[matcher.name] = matcher.value
    if window is not None:
        if len(window.regions) == 1:
            (region,) = window.regions
            labels.update(region_levels(region), region=region)
        if len(window.device_ids) == 1:
            (labels["device"],) = window.device_ids
    return labels


def suppression_message(
    event: SuppressionEvent,
    receiver: str,
    labels: Mapping[str, str],
    started_at: datetime | None = None,
) -> AlertMessage:
    """The notice that a silence or maintenance window started or ended."""
    kind = event.kind.value.capitalize()
    if isinstance(event, SuppressionStarted):
        until = f" until {event.ends_at.isoformat()}" if event.ends_at else " until resolved"
        comment = f": {event.comment}" if event.comment else ""
        summary = f"{kind} {event.summary} started by {event.created_by}{until}{comment}"
        status, reason, ends_at = MessageStatus.FIRING, NotifyReason.NEW, None
    else:
        assert isinstance(event, SuppressionEnded)
        summary = f"{kind} {event.summary} ended: {event.reason}"
        status, reason, ends_at = MessageStatus.RESOLVED, NotifyReason.RESOLVED, event.at
    item = AlertItem(
        fingerprint=f"{event.kind.value}:{event.suppression_id}",
        status=status,
        severity="info",
        labels=labels,
        annotations={"summary": summary},
        starts_at=started_at or event.at,
        ends_at=ends_at,
    )
    return AlertMessage(
        receiver=receiver,
        group_key=f"suppression:{event.kind.value}:{event.suppression_id}",
        status=status,
        alerts=(item,),
        reason=reason,
        group_labels={"suppression_id": event.suppression_id},
    )


def for_channel(message: AlertMessage, send_resolved: bool) -> AlertMessage | None:
    """What a channel gets of ``message``: all of it, or — for a channel that does not want
    resolutions — its firing alerts only (nothing when it has none)."""
    if send_resolved or not message.resolved:
        return message
    firing = message.firing
    return replace(message, alerts=firing) if firing else None
