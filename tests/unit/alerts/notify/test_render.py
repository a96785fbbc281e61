"""How a notification reads: Alertmanager-shaped JSON, the e-mail's parts, a short SMS."""

from __future__ import annotations

import json
from datetime import timedelta, timezone

from alerts.notify.message import AlertStatus, NotifyReason
from alerts.notify.render import (
    NOT_ENDED,
    email_content,
    sms_text,
    subject,
    webhook_body,
    webhook_payload,
)
from tests.unit.alerts.notify.samples import county_unreachable, message


def test_webhook_payload_has_alertmanagers_v4_shape_plus_ssnoc_keys() -> None:
    msg = message()
    payload = webhook_payload(msg)
    assert payload["version"] == "4"
    assert payload["groupKey"] == '{}:{region="440103"}'
    assert payload["status"] == "firing"
    assert payload["receiver"] == "oncall-guangzhou"
    assert payload["groupLabels"] == {"region": "440103"}
    assert payload["commonLabels"]["alertname"] == "SiteUnreachable"
    assert payload["commonAnnotations"] == {"description": "no answer to SNMP for 3 polls"}
    assert payload["externalURL"] == "https://noc.example/alerts/groups/abc"
    assert payload["truncatedAlerts"] == 0
    assert payload["reason"] == "new"
    first = payload["alerts"][0]
    assert first["startsAt"] == "2026-01-01T08:00:00Z"
    assert first["endsAt"] == NOT_ENDED
    assert first["fingerprint"] == "fp-440103"
    assert first["causedBy"] == "city 440100 uplink down"
    assert first["consequences"][1] == "越秀区社保服务中心 离线"
    assert set(first) >= {"status", "labels", "annotations", "generatorURL", "severity"}


def test_max_alerts_truncates_and_counts_what_was_left_out() -> None:
    payload = webhook_payload(message(), max_alerts=1)
    assert len(payload["alerts"]) == 1
    assert payload["truncatedAlerts"] == 1


def test_webhook_body_is_utf8_json_with_chinese_unescaped() -> None:
    body = webhook_body(message())
    assert "越秀区".encode() in body
    assert json.loads(body)["alerts"][1]["fingerprint"] == "fp-440105"


def test_resolved_alerts_carry_their_end() -> None:
    resolved = county_unreachable(status=AlertStatus.RESOLVED)
    payload = webhook_payload(message(resolved, status=AlertStatus.RESOLVED))
    assert payload["alerts"][0]["endsAt"] == "2026-01-01T09:00:00Z"


def test_subject_counts_firing_alerts_and_names_the_root_cause() -> None:
    assert subject(message()) == (
        "[FIRING:2] county 440103 unreachable (root cause: city 440100 uplink down)"
    )
    resolved = message(
        county_unreachable(status=AlertStatus.RESOLVED, caused_by=None),
        status=AlertStatus.RESOLVED,
    )
    assert subject(resolved) == "[RESOLVED] county 440103 unreachable"


def test_subject_is_one_line_whatever_the_summary_holds() -> None:
    evil = county_unreachable(summary="line one\r\nBcc: victim@example.com")
    text = subject(message(evil))
    assert "\n" not in text
    assert "\r" not in text


def test_email_parts_carry_the_same_content_and_html_is_escaped() -> None:
    xss = county_unreachable(summary="<script>alert(1)</script> county 440103")
    content = email_content(message(xss, county_unreachable(fingerprint="b")))
    assert content.subject.startswith("[FIRING:2] <script>")
    assert "<script>" not in content.html
    assert "&lt;script&gt;" in content.html
    for part in (content.text, content.html):
        assert "city 440100 uplink down" in part
        assert "越秀区社保服务中心 离线" in part
        assert "fp-440103" in part
        assert "https://noc.example/alerts/groups/abc" in part
    assert "since 2026-01-01 08:00:00 UTC" in content.text


def test_email_times_show_in_the_chosen_zone() -> None:
    shanghai = timezone(timedelta(hours=8), "CST")
    assert "since 2026-01-01 16:00:00 CST" in email_content(message(), tz=shanghai).text


def test_sms_fits_140_characters_with_status_headline_and_cause() -> None:
    text = sms_text(message())
    assert text == "[FIRING:2] county 440103 unreachable (root cause: city 440100 uplink down)"
    assert len(text) <= 140


def test_sms_counts_characters_not_bytes_and_cuts_the_cause_first() -> None:
    chinese = county_unreachable(
        summary="广州市越秀区社保服务中心网络中断" * 2,
        caused_by="广州市汇聚节点上联链路故障，备份链路同时中断" * 5,
    )
    text = sms_text(message(chinese))
    assert len(text) == 140
    assert len(text.encode("utf-8")) > 140
    assert text.startswith("[FIRING:1] 广州市越秀区社保服务中心网络中断广州市")
    assert "(root cause: 广州市" in text
    assert text.endswith("…)")


def test_sms_cuts_an_overlong_headline_and_marks_escalations() -> None:
    long = county_unreachable(summary="x" * 300, caused_by="y")
    text = sms_text(message(long, reason=NotifyReason.ESCALATION))
    assert len(text) == 140
    assert text.startswith("[FIRING:1][ESCALATED] xxx")
    assert text.endswith("…")
    assert "y" not in text


def test_sms_leaves_out_a_cause_that_would_be_cut_to_nothing() -> None:
    text = sms_text(message(county_unreachable(summary="z" * 125)), max_chars=140)
    assert text == "[FIRING:1] " + "z" * 125
