"""Reliable delivery over real servers: a receiver down then up, a restart in between, and one
channel down while another delivers on time. Time is a fake clock; the network is real."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from alerts.notify.delivery import DeliveryQueue, RetryPolicy
from alerts.notify.email import EmailChannel, EmailConfig
from alerts.notify.log import AttemptOutcome, DeliveryState
from alerts.notify.sql_log import SqlNotificationLog
from alerts.notify.webhook import WebhookChannel, WebhookConfig
from core.clock import FakeClock
from core.state.db import migrate_to_head, open_state_engine
from tests.integration.alerts.notify.http_receiver import reserved_port, running_receiver, serving
from tests.integration.alerts.notify.smtp_servers import free_port
from tests.unit.alerts.notify.samples import T0, message

pytestmark = pytest.mark.integration

POLICY = RetryPolicy(initial_backoff_s=10, multiplier=2, jitter=0.2)


def no_jitter() -> float:
    return 0.5


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


async def test_receiver_down_then_up_across_a_restart(engine: Engine) -> None:
    clock = FakeClock(T0)
    sock = reserved_port()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/alerts"
    config = WebhookConfig(url=url, timeout_s=5)
    ids = (f"d{n}" for n in itertools.count(1))
    try:
        hook = WebhookChannel("hook", config, clock=clock)
        before = DeliveryQueue(
            {"hook": hook},
            SqlNotificationLog(engine),
            clock,
            policy=POLICY,
            rand=no_jitter,
            new_id=lambda: next(ids),
        )
        await before.submit("hook", message())
        for offset_s in (0, 10, 30):  # the receiver is down for three attempts
            clock.set(T0 + timedelta(seconds=offset_s))
            (attempt,) = await before.tick()
            assert attempt.outcome is AttemptOutcome.RETRYING
            assert attempt.error is not None
            assert attempt.error.startswith("cannot reach")
        await hook.aclose()
        del before  # the NOC restarts; the receiver comes back

        async with serving(sock) as receiver:
            hook = WebhookChannel("hook", config, clock=clock)
            log = SqlNotificationLog(engine)
            after = DeliveryQueue({"hook": hook}, log, clock, policy=POLICY, rand=no_jitter)
            assert await after.resume() == 1
            assert after.next_due() == T0 + timedelta(seconds=70)
            clock.set(T0 + timedelta(seconds=69))
            assert await after.tick() == []
            clock.set(T0 + timedelta(seconds=70))
            (delivered,) = await after.tick()
            await hook.aclose()
    finally:
        sock.close()

    assert delivered.outcome is AttemptOutcome.DELIVERED
    assert delivered.id == "d1/4"
    (request,) = receiver.requests
    assert request.headers["x-ssnoc-delivery"] == "d1"
    assert json.loads(request.body)["alerts"][0]["fingerprint"] == "fp-440103"
    attempts = await log.attempts(delivery_id="d1")
    assert [(a.at - T0).total_seconds() for a in attempts] == [0, 10, 30, 70]
    (done,) = await log.deliveries(state=DeliveryState.DELIVERED)
    assert done.attempts == 4


async def test_mail_down_does_not_delay_the_webhook(engine: Engine) -> None:
    clock = FakeClock(T0)
    mail = EmailChannel(
        "mail",
        EmailConfig(
            host="127.0.0.1", port=free_port(), sender="s@x", recipients=("r@x",), timeout_s=2
        ),
        clock=clock,
    )
    log = SqlNotificationLog(engine)
    async with running_receiver() as receiver:
        hook = WebhookChannel("hook", WebhookConfig(url=receiver.base_url), clock=clock)
        queue = DeliveryQueue(
            {"mail": mail, "hook": hook}, log, clock, policy=POLICY, rand=no_jitter
        )
        await queue.submit("mail", message())
        await queue.submit("hook", message())
        first = await queue.tick()
        clock.advance(5)
        await queue.submit("hook", message(group_key="another group"))
        second = await queue.tick()
        await hook.aclose()
    assert sorted((a.channel, a.outcome) for a in first) == [
        ("hook", AttemptOutcome.DELIVERED),
        ("mail", AttemptOutcome.RETRYING),
    ]
    assert [(a.channel, a.outcome) for a in second] == [("hook", AttemptOutcome.DELIVERED)]
    assert len(receiver.requests) == 2
    (pending,) = await log.pending()
    assert pending.channel == "mail"
    assert pending.next_attempt_at == T0 + timedelta(seconds=10)
    assert pending.last_error is not None
    assert "Connection refused" in pending.last_error
