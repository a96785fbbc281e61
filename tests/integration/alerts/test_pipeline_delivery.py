"""The city-core timeline of tests/unit/alerts/test_service.py, delivered for real: a signed
webhook to a real HTTP server and mail through a real SMTP server (aiosmtpd). The root cause is
told once at each, then its resolution. Time is a fake clock; the network is real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from alerts.notify.log import DeliveryState
from alerts.notify.signing import verify_signature
from core.settings import AlertSettings, AlertSmtpSettings
from tests.integration.alerts.notify.http_receiver import RecordingReceiver, running_receiver
from tests.integration.alerts.notify.smtp_servers import Mailbox, smtp_server
from tests.unit.alerts.test_service import GZ_CORE_LINKS, World
from tests.unit.topology.networks import GZ_CORE, YUEXIU_ACC

pytestmark = pytest.mark.integration

SECRET = "hook-signing-key-4401"
CONFIG = """
receivers:
  - name: noc
    channels:
      - kind: webhook
        target: {url}/hooks/alerts
      - kind: email
        target: noc@example.org
route:
  receiver: noc
  group_by: [alertname, city]
  group_wait: 30s
  group_interval: 1m
  repeat_interval: 4h
"""


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with smtp_server(box) as port:
        yield box, port


def settings_for(tmp_path: Path, receiver: RecordingReceiver, smtp_port: int) -> AlertSettings:
    config = tmp_path / "alerting.yaml"
    config.write_text(CONFIG.format(url=receiver.base_url), encoding="utf-8")
    return AlertSettings(
        alerting_config_path=config,
        webhook_secret=SecretStr(SECRET),
        smtp=AlertSmtpSettings(
            host="127.0.0.1", port=smtp_port, sender="ssnoc@example.org", timeout_s=5
        ),
    )


async def test_a_city_core_failure_reaches_a_webhook_and_a_mailbox_once_then_resolves(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    box, smtp_port = mailbox
    async with running_receiver() as receiver:
        world = World(tmp_path / "noc", settings=settings_for(tmp_path, receiver, smtp_port))
        try:
            await world.run_until(10)
            world.fail_device(GZ_CORE, with_links=GZ_CORE_LINKS)
            world.fail_device(YUEXIU_ACC)
            await world.run_until(300)
            told_while_firing = (len(receiver.requests), len(box.messages))
            world.recover()
            await world.run_until(400)
            delivered = await world.service.deliveries(state=DeliveryState.DELIVERED)
            pending = await world.service.deliveries(state=DeliveryState.PENDING)
            await world.service.close()
        finally:
            world.toy.close()

    assert told_while_firing == (1, 1)
    assert len(delivered) == 4
    assert pending == []

    payloads = []
    for request in receiver.requests:
        assert request.path == "/hooks/alerts"
        stamp = request.headers["x-ssnoc-timestamp"]
        assert verify_signature(
            SECRET,
            timestamp=stamp,
            signature_header=request.headers["x-ssnoc-signature"],
            body=request.body,
            now=datetime.fromtimestamp(int(stamp), UTC),
        )
        payloads.append(json.loads(request.body))
    firing, resolved = payloads
    assert (firing["status"], firing["reason"]) == ("firing", "new")
    (cause,) = firing["alerts"]
    assert (cause["labels"]["alertname"], cause["labels"]["device"]) == ("site-isolated", GZ_CORE)
    assert cause["consequences"] == ["gz-yuexiu is cut off from the province core"]
    assert (resolved["status"], resolved["reason"]) == ("resolved", "resolved")
    assert cause["fingerprint"] in {a["fingerprint"] for a in resolved["alerts"]}

    firing_mail, resolved_mail = box.messages
    assert firing_mail["Subject"] == "[FIRING:1] gz is cut off from the province core"
    text = firing_mail.get_body(("plain",))
    assert text is not None
    assert "also affected (1, not notified separately)" in text.get_content()
    assert resolved_mail["Subject"].startswith("[RESOLVED] ")
    assert firing_mail["References"] == resolved_mail["References"]
    assert box.recipients == [["noc@example.org"], ["noc@example.org"]]
