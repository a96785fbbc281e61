"""The e-mail channel against real SMTP servers (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr

from alerts.notify.channel import DeliveryFailed
from alerts.notify.email import EmailChannel, EmailConfig, thread_id
from alerts.notify.message import AlertMessage
from core.clock import FakeClock
from tests.integration.alerts.notify.smtp_servers import (
    PASSWORD,
    USER,
    Mailbox,
    check_login,
    free_port,
    make_tls_files,
    smtp_server,
)
from tests.unit.alerts.notify.samples import T0, county_unreachable, message

pytestmark = pytest.mark.integration

ONCALL = ("oncall@noc.example", "lead@noc.example")


def channel(port: int, **options: object) -> EmailChannel:
    config = EmailConfig.model_validate(
        {
            "host": "127.0.0.1",
            "port": port,
            "sender": "ssnoc@noc.example",
            "recipients": ONCALL,
            "timeout_s": 5,
            "message_id_domain": "noc.example",
            **options,
        }
    )
    return EmailChannel("mail", config, clock=FakeClock(T0))


def chinese_message() -> AlertMessage:
    msg = message(
        county_unreachable(summary="越秀区社保服务中心 不可达"),
        county_unreachable(fingerprint="fp-440105", summary="county 440105 unreachable"),
    )
    return replace(msg, delivery_id="d42")


async def test_a_notification_arrives_as_multipart_text_and_html() -> None:
    box = Mailbox()
    with smtp_server(box) as port:
        await channel(port, timezone="Asia/Shanghai").send(chinese_message())
    (mail,) = box.messages
    assert box.recipients == [list(ONCALL)]
    assert mail["Subject"] == (
        "[FIRING:2] 越秀区社保服务中心 不可达 (root cause: city 440100 uplink down)"
    )
    assert mail["From"] == "ssnoc@noc.example"
    assert mail["To"] == "oncall@noc.example, lead@noc.example"
    assert mail["Message-ID"] == "<d42@noc.example>"
    group = thread_id('{}:{region="440103"}', "noc.example")
    assert mail["References"] == group
    assert mail["In-Reply-To"] == group
    assert mail["X-Ssnoc-Fingerprint"] == "fp-440103"
    assert mail["X-Ssnoc-Fingerprints"] == "fp-440103 fp-440105"
    assert mail["X-Ssnoc-Reason"] == "new"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "越秀区社保服务中心 不可达" in text.get_content()
    assert "since 2026-01-01 16:00:00 CST" in text.get_content()
    assert "<h2>[FIRING:2] 越秀区社保服务中心 不可达" in html.get_content()


async def test_one_groups_mails_share_a_thread_id_and_differ_in_message_id() -> None:
    box = Mailbox()
    with smtp_server(box) as port:
        mailer = channel(port)
        await mailer.send(chinese_message())
        await mailer.send(message(county_unreachable()))  # no delivery id: a fresh Message-ID
    first, second = box.messages
    assert first["References"] == second["References"]
    assert first["Message-ID"] != second["Message-ID"]


async def test_451_is_retryable_and_550_is_final() -> None:
    busy_box = Mailbox(data_answer="451 4.3.0 mailbox busy, try later")
    with smtp_server(busy_box) as port, pytest.raises(DeliveryFailed) as busy:
        await channel(port).send(chinese_message())
    assert busy.value.retryable
    assert busy.value.reason == f"SMTP 127.0.0.1:{port} answered 451 4.3.0 mailbox busy, try later"

    refuse_all = {r: "550 5.1.1 no such user" for r in ONCALL}
    with smtp_server(Mailbox(refuse=refuse_all)) as port, pytest.raises(DeliveryFailed) as refused:
        await channel(port).send(chinese_message())
    assert not refused.value.retryable
    assert "oncall@noc.example: 550 5.1.1 no such user" in refused.value.reason


async def test_a_retry_reaches_only_the_recipient_that_was_told_to_wait() -> None:
    box = Mailbox(refuse={"lead@noc.example": "452 4.2.2 mailbox full"})
    with smtp_server(box) as port:
        mailer = channel(port)
        with pytest.raises(DeliveryFailed) as first:
            await mailer.send(chinese_message())
        assert first.value.retryable
        assert first.value.reason == "lead@noc.example: 452 4.2.2 mailbox full"
        box.refuse.clear()
        await mailer.send(chinese_message())  # the retry
    assert box.recipients == [["oncall@noc.example"], ["lead@noc.example"]]


async def test_nothing_listening_is_retryable() -> None:
    with pytest.raises(DeliveryFailed) as down:
        await channel(free_port()).send(chinese_message())
    assert down.value.retryable
    assert "Connection refused" in down.value.reason


async def test_login_with_a_non_ascii_password() -> None:
    box = Mailbox(require_login=True)
    with smtp_server(box, authenticator=check_login, auth_require_tls=False) as port:
        await channel(port, username=USER, password=PASSWORD).send(chinese_message())
        with pytest.raises(DeliveryFailed) as wrong:
            await channel(port, username=USER, password="guess").send(chinese_message())
        with pytest.raises(DeliveryFailed) as anonymous:
            await channel(port).send(chinese_message())
    assert box.logged_in == [True]
    assert not wrong.value.retryable
    assert wrong.value.reason.startswith(f"SMTP 127.0.0.1:{port} answered 535")
    assert "guess" not in str(wrong.value)
    assert not anonymous.value.retryable
    assert "530" in anonymous.value.reason


async def test_starttls_then_login(tmp_path: Path) -> None:
    ca_file, server_tls = make_tls_files(tmp_path)
    box = Mailbox()
    options = {"tls_context": server_tls, "require_starttls": True, "auth_required": True}
    with smtp_server(box, authenticator=check_login, **options) as port:
        secure = channel(
            port, starttls=True, ca_file=str(ca_file), username=USER, password=PASSWORD
        )
        await secure.send(chinese_message())
        with pytest.raises(DeliveryFailed) as plain:
            await channel(port).send(chinese_message())
        with pytest.raises(DeliveryFailed) as untrusted:
            await channel(port, starttls=True, username=USER, password=PASSWORD).send(
                chinese_message()
            )
    assert box.logged_in == [True]
    assert not plain.value.retryable  # "530 Must issue a STARTTLS command first"
    assert not untrusted.value.retryable
    assert "certificate not trusted" in untrusted.value.reason


def test_the_password_never_shows() -> None:
    config = EmailConfig(
        host="h", sender="s@x", recipients=("r@x",), username=USER, password=SecretStr(PASSWORD)
    )
    assert PASSWORD not in repr(config)
    assert PASSWORD not in repr(EmailChannel("mail", config, clock=FakeClock(T0)))
