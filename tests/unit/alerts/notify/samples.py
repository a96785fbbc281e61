"""Notification messages the notify tests share: a county cut off behind a dead city uplink."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.notify.message import AlertItem, AlertMessage, AlertStatus, NotifyReason

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def county_unreachable(
    *,
    fingerprint: str = "fp-440103",
    status: AlertStatus = AlertStatus.FIRING,
    summary: str = "county 440103 unreachable",
    caused_by: str | None = "city 440100 uplink down",
) -> AlertItem:
    return AlertItem(
        fingerprint=fingerprint,
        status=status,
        severity="critical",
        labels={"alertname": "SiteUnreachable", "region": "440103", "site": "440103-node"},
        annotations={"summary": summary, "description": "no answer to SNMP for 3 polls"},
        starts_at=T0,
        ends_at=None if status is AlertStatus.FIRING else T0.replace(hour=9),
        caused_by=caused_by,
        consequences=("county 440104 unreachable", "越秀区社保服务中心 离线"),
    )


def message(
    *alerts: AlertItem,
    receiver: str = "oncall-guangzhou",
    group_key: str = '{}:{region="440103"}',
    reason: NotifyReason = NotifyReason.NEW,
    status: AlertStatus = AlertStatus.FIRING,
) -> AlertMessage:
    if not alerts:
        alerts = (
            county_unreachable(),
            county_unreachable(fingerprint="fp-440105", summary="county 440105 unreachable"),
        )
    return AlertMessage(
        receiver=receiver,
        group_key=group_key,
        status=status,
        alerts=alerts,
        reason=reason,
        external_url="https://noc.example/alerts/groups/abc",
        group_labels={"region": "440103"},
    )
