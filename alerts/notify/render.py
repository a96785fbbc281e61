"""How a notification reads on each channel: webhook JSON, e-mail (text and HTML), SMS.

**Webhook JSON** is the shape of Prometheus Alertmanager's webhook payload, version 4, so any
receiver written for Alertmanager reads it unchanged; ssnoc's additions are extra keys such
receivers ignore::

    {
      "version": "4",
      "groupKey": "{}:{region=\\"440103\\"}",
      "truncatedAlerts": 0,                   # alerts left out because of max_alerts
      "status": "firing",                     # firing | resolved (the group's status)
      "receiver": "oncall-guangzhou",
      "groupLabels": {"region": "440103"},
      "commonLabels": {...},                  # labels all alerts share
      "commonAnnotations": {...},
      "externalURL": "https://noc.example/alerts/...",   # "" when there is none
      "alerts": [
        {
          "status": "firing",
          "labels": {"alertname": "SiteUnreachable", "region": "440103"},
          "annotations": {"summary": "county 440103 unreachable"},
          "startsAt": "2026-01-01T00:00:00Z",
          "endsAt": "0001-01-01T00:00:00Z",   # Alertmanager's "not ended"
          "generatorURL": "",
          "fingerprint": "3f2a…",
          "severity": "critical",             # ssnoc: shown severity
          "causedBy": "city 440100 uplink down",   # ssnoc: root cause summary, or null
          "consequences": ["county 440104 unreachable"]   # ssnoc: alerts it suppresses
        }
      ],
      "reason": "new",                        # ssnoc: new|changed|repeat|resolved|escalation
      "deliveryId": "9c1e…"                   # ssnoc: same on every retry (also a header)
    }

**E-mail**: subject ``[FIRING:2] county 440103 unreachable (root cause: city 440100 uplink
down)`` (``[RESOLVED] …`` when the group resolved), a plain-text part and an HTML part with the
same content. **SMS**: one line of at most 140 characters (characters, not bytes: Chinese text
counts one per character), the subject's content shortened to fit.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from alerts.notify.message import AlertItem, AlertMessage, AlertStatus, NotifyReason

NOT_ENDED = "0001-01-01T00:00:00Z"
SMS_MAX_CHARS = 140
SUBJECT_MAX_CHARS = 200
ELLIPSIS = "…"


def rfc3339(when: datetime) -> str:
    """``2026-01-01T08:00:00Z``: UTC, with a Z, as Alertmanager writes times."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def webhook_payload(message: AlertMessage, *, max_alerts: int = 0) -> dict[str, Any]:
    """The Alertmanager-v4-shaped dict of ``message`` (``max_alerts`` 0 means all)."""
    shown = message.alerts if max_alerts <= 0 else message.alerts[:max_alerts]
    return {
        "version": "4",
        "groupKey": message.group_key,
        "truncatedAlerts": len(message.alerts) - len(shown),
        "status": message.status.value,
        "receiver": message.receiver,
        "groupLabels": dict(message.group_labels),
        "commonLabels": message.common_labels,
        "commonAnnotations": message.common_annotations,
        "externalURL": message.external_url or "",
        "alerts": [_webhook_alert(alert) for alert in shown],
        "reason": message.reason.value,
        "deliveryId": message.delivery_id,
    }


def _webhook_alert(alert: AlertItem) -> dict[str, Any]:
    return {
        "status": alert.status.value,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "startsAt": rfc3339(alert.starts_at),
        "endsAt": NOT_ENDED if alert.ends_at is None else rfc3339(alert.ends_at),
        "generatorURL": "",
        "fingerprint": alert.fingerprint,
        "severity": alert.severity,
        "causedBy": alert.caused_by,
        "consequences": list(alert.consequences),
    }


def webhook_body(message: AlertMessage, *, max_alerts: int = 0) -> bytes:
    """The webhook request body: compact UTF-8 JSON, Chinese text as itself (no ``\\u``)."""
    payload = webhook_payload(message, max_alerts=max_alerts)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _flat(text: str) -> str:
    """One line: newlines in a summary must not break a header or an SMS."""
    return " ".join(text.split())


def _status_tag(message: AlertMessage) -> str:
    if message.status is AlertStatus.FIRING:
        return f"[FIRING:{len(message.firing)}]"
    return "[RESOLVED]"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS if limit > 0 else ""


def subject(message: AlertMessage, *, max_chars: int = SUBJECT_MAX_CHARS) -> str:
    """``[FIRING:2] county 440103 unreachable (root cause: city 440100 uplink down)``."""
    headline = message.headline
    text = f"{_status_tag(message)} {_flat(headline.summary)}"
    if headline.caused_by:
        text += f" (root cause: {_flat(headline.caused_by)})"
    return _shorten(text, max_chars)


def sms_text(message: AlertMessage, *, max_chars: int = SMS_MAX_CHARS) -> str:
    """At most ``max_chars`` characters: status, headline, and the root cause when it fits.

    The headline is never dropped: when even it is too long, it is cut with an ellipsis; the root
    cause is cut first.
    """
    headline = message.headline
    tag = _status_tag(message)
    if message.reason is NotifyReason.ESCALATION:
        tag += "[ESCALATED]"
    head = f"{tag} {_flat(headline.summary)}"
    if len(head) > max_chars:
        return _shorten(head, max_chars)
    if not headline.caused_by:
        return head
    opening, closing = " (root cause: ", ")"
    room = max_chars - len(head) - len(opening) - len(closing)
    if room < 8:  # a root cause cut to a few characters says nothing
        return head
    return head + opening + _shorten(_flat(headline.caused_by), room) + closing


@dataclass(frozen=True, slots=True)
class EmailContent:
    """The three parts of a notification e-mail."""

    subject: str
    text: str
    html: str


def _when(when: datetime, tz: tzinfo) -> str:
    local = when.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or "")


def _text_alert(alert: AlertItem, tz: tzinfo) -> list[str]:
    lines = [f"- [{alert.severity}] {_flat(alert.summary)}"]
    lines.append(f"  since {_when(alert.starts_at, tz)}")
    if alert.ends_at is not None:
        lines.append(f"  resolved {_when(alert.ends_at, tz)}")
    if alert.caused_by:
        lines.append(f"  root cause: {_flat(alert.caused_by)}")
    description = alert.annotations.get("description")
    if description:
        lines.append(f"  {_flat(description)}")
    if alert.consequences:
        lines.append(f"  also affected ({len(alert.consequences)}, not notified separately):")
        lines.extend(f"    * {_flat(c)}" for c in alert.consequences)
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    lines.append(f"  labels: {labels}")
    lines.append(f"  fingerprint: {alert.fingerprint}")
    return lines


def _sections(message: AlertMessage) -> list[tuple[str, tuple[AlertItem, ...]]]:
    return [
        (title, alerts)
        for title, alerts in (("Firing", message.firing), ("Resolved", message.resolved))
        if alerts
    ]


def email_text(message: AlertMessage, *, tz: tzinfo = UTC) -> str:
    """The plain-text body."""
    lines = [subject(message), ""]
    lines.append(f"Receiver: {message.receiver}    Reason: {message.reason.value}")
    lines.append(f"Group: {message.group_key}")
    for title, alerts in _sections(message):
        lines += ["", f"{title} ({len(alerts)})"]
        for alert in alerts:
            lines += _text_alert(alert, tz)
    if message.external_url:
        lines += ["", f"Open in ssnoc: {message.external_url}"]
    return "\n".join(lines) + "\n"


_SEVERITY_COLOURS = {"critical": "#b71c1c", "major": "#e65100", "minor": "#f9a825"}


def _html_alert(alert: AlertItem, tz: tzinfo) -> str:
    e = html.escape
    colour = _SEVERITY_COLOURS.get(alert.severity, "#455a64")
    rows = [
        f'<li style="margin-bottom:12px"><b style="color:{colour}">[{e(alert.severity)}]</b> '
        f"<b>{e(alert.summary)}</b><br>",
        f"since {e(_when(alert.starts_at, tz))}<br>",
    ]
    if alert.ends_at is not None:
        rows.append(f"resolved {e(_when(alert.ends_at, tz))}<br>")
    if alert.caused_by:
        rows.append(f"root cause: <b>{e(alert.caused_by)}</b><br>")
    description = alert.annotations.get("description")
    if description:
        rows.append(f"{e(description)}<br>")
    if alert.consequences:
        items = "".join(f"<li>{e(c)}</li>" for c in alert.consequences)
        rows.append(
            f"also affected ({len(alert.consequences)}, not notified separately):<ul>{items}</ul>"
        )
    labels = ", ".join(f"{e(k)}={e(v)}" for k, v in sorted(alert.labels.items()))
    rows.append(f'<span style="color:#607d8b">labels: {labels}<br>')
    rows.append(f"fingerprint: {e(alert.fingerprint)}</span></li>")
    return "".join(rows)


def email_html(message: AlertMessage, *, tz: tzinfo = UTC) -> str:
    """The HTML body: the same content as the text part, every value escaped."""
    e = html.escape
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family:sans-serif">',
        f"<h2>{e(subject(message))}</h2>",
        f"<p>Receiver: {e(message.receiver)} &middot; Reason: {e(message.reason.value)}<br>",
        f"Group: <code>{e(message.group_key)}</code></p>",
    ]
    for title, alerts in _sections(message):
        parts.append(f"<h3>{title} ({len(alerts)})</h3><ul>")
        parts.extend(_html_alert(alert, tz) for alert in alerts)
        parts.append("</ul>")
    if message.external_url:
        url = e(message.external_url, quote=True)
        parts.append(f'<p><a href="{url}">Open in ssnoc</a></p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def email_content(message: AlertMessage, *, tz: tzinfo = UTC) -> EmailContent:
    """Subject, text and HTML of the notification e-mail; times shown in ``tz``."""
    return EmailContent(
        subject=subject(message), text=email_text(message, tz=tz), html=email_html(message, tz=tz)
    )
