"""The neutral payload: checked on the way in, and read back equal from its stored form."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from alerts.notify.message import AlertItem, AlertMessage, AlertStatus, NotifyReason
from tests.unit.alerts.notify.samples import T0, county_unreachable, message


def test_a_message_reads_back_equal_from_its_json_form() -> None:
    original = message(
        county_unreachable(),
        county_unreachable(fingerprint="fp-2", status=AlertStatus.RESOLVED, caused_by=None),
        reason=NotifyReason.ESCALATION,
    )
    stored = json.loads(json.dumps(original.to_dict(), ensure_ascii=False))
    assert AlertMessage.from_dict(stored) == original


def test_headline_is_the_first_firing_alert() -> None:
    resolved = county_unreachable(fingerprint="r", status=AlertStatus.RESOLVED)
    firing = county_unreachable(fingerprint="f")
    msg = message(resolved, firing)
    assert msg.headline.fingerprint == "f"
    assert msg.fingerprints == ("r", "f")
    assert [a.fingerprint for a in msg.firing] == ["f"]
    assert [a.fingerprint for a in msg.resolved] == ["r"]


def test_common_labels_are_those_every_alert_shares() -> None:
    a = county_unreachable(fingerprint="a")
    b = AlertItem(
        fingerprint="b",
        status=AlertStatus.FIRING,
        severity="major",
        labels={"alertname": "SiteUnreachable", "region": "440105"},
        annotations={},
        starts_at=T0,
    )
    assert message(a, b).common_labels == {"alertname": "SiteUnreachable"}


def test_summary_falls_back_to_alert_name_then_fingerprint() -> None:
    named = AlertItem("x", AlertStatus.FIRING, "info", {"alertname": "LinkDown"}, {}, T0)
    bare = AlertItem("y", AlertStatus.FIRING, "info", {}, {}, T0)
    assert named.summary == "LinkDown"
    assert bare.summary == "alert y"


def test_naive_times_and_empty_messages_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        AlertItem("x", AlertStatus.FIRING, "info", {}, {}, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="at least one alert"):
        AlertMessage(
            receiver="r",
            group_key="g",
            status=AlertStatus.FIRING,
            alerts=(),
            reason=NotifyReason.NEW,
        )


def test_a_damaged_stored_message_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a stored alert message"):
        AlertMessage.from_dict({"receiver": "r"})
