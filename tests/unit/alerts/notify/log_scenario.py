"""One scenario every NotificationLog must pass (in memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from alerts.notify.delivery import DeliveryQueue, RetryPolicy
from alerts.notify.log import AttemptOutcome, DeliveryState, NotificationLog
from alerts.notify.message import AlertStatus, NotifyReason
from core.clock import FakeClock
from tests.unit.alerts.notify.fakes import FakeChannel
from tests.unit.alerts.notify.samples import T0, county_unreachable, message


async def run_log_scenario(log: NotificationLog, reopen: NotificationLog) -> None:
    """Deliver, retry, fail; read everything back; resume through ``reopen`` (the same store,
    opened again as after a restart); prune."""
    clock = FakeClock(T0)
    hook = FakeChannel("hook", clock)
    mail = FakeChannel("mail", clock, down_for=10**6)
    sms = FakeChannel("sms", clock, down_for=1, final=True)
    ids = (f"d{n}" for n in itertools.count(1))
    policy = RetryPolicy(initial_backoff_s=10, jitter=0)
    queue = DeliveryQueue(
        {"hook": hook, "mail": mail, "sms": sms},
        log,
        clock,
        policy=policy,
        new_id=lambda: next(ids),
    )
    chinese = message(
        county_unreachable(summary="越秀区 社保服务中心 不可达", status=AlertStatus.RESOLVED),
        status=AlertStatus.RESOLVED,
        reason=NotifyReason.RESOLVED,
    )
    await queue.submit("hook", chinese)
    await queue.submit("mail", message())
    await queue.submit("sms", message())
    assert [d.id for d in await log.pending()] == ["d1", "d2", "d3"]
    await queue.tick()
    clock.advance(10)
    await queue.tick()

    delivered = await log.deliveries(state=DeliveryState.DELIVERED)
    assert [d.id for d in delivered] == ["d1"]
    assert delivered[0].message == chinese
    assert delivered[0].updated_at == T0
    (failed,) = await log.deliveries(state=DeliveryState.FAILED)
    assert (failed.id, failed.last_error) == ("d3", "connection refused by 127.0.0.1:9")
    (pending,) = await log.pending()
    assert pending.id == "d2"
    assert pending.attempts == 2
    assert pending.next_attempt_at == T0 + timedelta(seconds=30)
    assert pending.message == message()
    assert [d.id for d in await log.deliveries(channel="mail")] == ["d2"]
    assert len(await log.deliveries(limit=2)) == 2

    attempts = await log.attempts()
    # the first tick's three attempts ran in parallel: recorded in whatever order they ended
    assert sorted((a.id, a.outcome) for a in attempts[:3]) == [
        ("d1/1", AttemptOutcome.DELIVERED),
        ("d2/1", AttemptOutcome.RETRYING),
        ("d3/1", AttemptOutcome.FAILED),
    ]
    assert (attempts[3].id, attempts[3].outcome) == ("d2/2", AttemptOutcome.RETRYING)
    second = attempts[-1]
    assert second.at == T0 + timedelta(seconds=10)
    assert second.channel == "mail"
    assert second.receiver == "oncall-guangzhou"
    assert second.group_key == '{}:{region="440103"}'
    assert second.fingerprints == ("fp-440103", "fp-440105")
    assert second.next_attempt_at == T0 + timedelta(seconds=30)
    assert [a.id for a in await log.attempts(delivery_id="d2")] == ["d2/1", "d2/2"]
    assert [a.id for a in await log.attempts(limit=1)] == ["d2/2"]

    # a restart: a new queue on the store opened again; the mail server is back
    mail_again = FakeChannel("mail", clock)
    resumed = DeliveryQueue({"mail": mail_again}, reopen, clock, policy=policy)
    assert await resumed.resume() == 1
    clock.set(T0 + timedelta(seconds=30))
    (third,) = await resumed.tick()
    assert (third.id, third.outcome) == ("d2/3", AttemptOutcome.DELIVERED)
    assert mail_again.delivered[0][1].delivery_id == "d2"
    assert await reopen.pending() == []

    assert await reopen.prune(T0 + timedelta(seconds=5)) == 2  # d1 and d3, not d2 (updated at 30)
    assert [d.id for d in await reopen.deliveries()] == ["d2"]
    assert [a.id for a in await reopen.attempts()] == ["d2/1", "d2/2", "d2/3"]
