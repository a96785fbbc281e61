"""Delivery timelines on a fake clock: back-off, giving up, lanes, restarts, no blocking."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import timedelta

import pytest

from alerts.notify.delivery import DeliveryQueue, RetryPolicy
from alerts.notify.log import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    InMemoryNotificationLog,
)
from alerts.notify.message import AlertStatus, NotifyReason
from core.clock import FakeClock
from core.errors import StoreError
from tests.unit.alerts.notify.fakes import BrokenChannel, FakeChannel, FakeSleep
from tests.unit.alerts.notify.samples import T0, county_unreachable, message

POLICY = RetryPolicy(initial_backoff_s=10, multiplier=2, max_backoff_s=600, jitter=0.2)


def no_jitter() -> float:
    return 0.5


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def make_queue(
    clock: FakeClock,
    *channels: FakeChannel | BrokenChannel,
    log: InMemoryNotificationLog | None = None,
    policy: RetryPolicy = POLICY,
) -> tuple[DeliveryQueue, InMemoryNotificationLog]:
    log = log or InMemoryNotificationLog()
    ids = (f"d{n}" for n in itertools.count(1))
    queue = DeliveryQueue(
        {c.name: c for c in channels},
        log,
        clock,
        policy=policy,
        rand=no_jitter,
        new_id=lambda: next(ids),
    )
    return queue, log


async def play(queue: DeliveryQueue, clock: FakeClock) -> None:
    """Jump from one due attempt to the next until nothing is pending."""
    while (due := queue.next_due()) is not None:
        clock.set(max(due, clock.now()))
        await queue.tick()


async def test_a_channel_down_for_three_attempts_delivers_at_the_backoff_times(
    clock: FakeClock,
) -> None:
    hook = FakeChannel("hook", clock, down_for=3)
    queue, log = make_queue(clock, hook)
    delivery = await queue.submit("hook", message())

    first = await queue.tick()
    assert [a.outcome for a in first] == [AttemptOutcome.RETRYING]
    assert first[0].next_attempt_at == T0 + timedelta(seconds=10)
    clock.advance(9)
    assert await queue.tick() == []  # not due yet
    await play(queue, clock)

    assert hook.offsets_s(T0) == [0, 10, 30, 70]
    attempts = await log.attempts(delivery_id=delivery.id)
    assert [(a.attempt_no, a.outcome) for a in attempts] == [
        (1, AttemptOutcome.RETRYING),
        (2, AttemptOutcome.RETRYING),
        (3, AttemptOutcome.RETRYING),
        (4, AttemptOutcome.DELIVERED),
    ]
    assert [a.next_attempt_at for a in attempts] == [
        T0 + timedelta(seconds=10),
        T0 + timedelta(seconds=30),
        T0 + timedelta(seconds=70),
        None,
    ]
    assert attempts[0].error == "connection refused by 127.0.0.1:9"
    assert attempts[0].fingerprints == ("fp-440103", "fp-440105")
    assert attempts[0].receiver == "oncall-guangzhou"
    assert attempts[0].id == f"{delivery.id}/1"
    (done,) = await log.deliveries()
    assert done.state is DeliveryState.DELIVERED
    assert done.attempts == 4
    assert queue.pending() == []


async def test_a_channel_never_up_fails_after_max_attempts_and_stays_visible(
    clock: FakeClock,
) -> None:
    hook = FakeChannel("hook", clock, down_for=10**6)
    policy = RetryPolicy(initial_backoff_s=10, multiplier=2, jitter=0.2, max_attempts=5)
    queue, log = make_queue(clock, hook, policy=policy)
    delivery = await queue.submit("hook", message())
    await play(queue, clock)

    assert hook.offsets_s(T0) == [0, 10, 30, 70, 150]
    (failed,) = await log.deliveries(state=DeliveryState.FAILED)
    assert failed.id == delivery.id
    assert failed.attempts == 5
    assert failed.next_attempt_at is None
    assert failed.last_error == (
        "gave up after 5 attempts in 150 s: connection refused by 127.0.0.1:9"
    )
    last = (await log.attempts(delivery_id=delivery.id))[-1]
    assert last.outcome is AttemptOutcome.FAILED
    assert await log.pending() == []


async def test_a_failing_delivery_is_given_up_at_max_age(clock: FakeClock) -> None:
    hook = FakeChannel("hook", clock, down_for=10**6)
    policy = RetryPolicy(initial_backoff_s=10, multiplier=2, jitter=0, max_age_s=60)
    queue, log = make_queue(clock, hook, policy=policy)
    await queue.submit("hook", message())
    await play(queue, clock)
    assert hook.offsets_s(T0) == [0, 10, 30, 70]
    (failed,) = await log.deliveries(state=DeliveryState.FAILED)
    assert failed.last_error is not None
    assert failed.last_error.startswith("gave up after 4 attempts in 70 s")


async def test_one_channel_down_does_not_delay_another(clock: FakeClock) -> None:
    mail = FakeChannel("mail", clock, down_for=10**6)
    hook = FakeChannel("hook", clock)
    queue, _ = make_queue(clock, mail, hook)
    await queue.submit("mail", message())
    await queue.submit("hook", message())
    await queue.tick()
    clock.advance(15)
    await queue.submit("hook", message(reason=NotifyReason.CHANGED))
    await queue.tick()
    clock.advance(20)
    await queue.tick()
    assert [(at - T0).total_seconds() for at, _ in hook.delivered] == [0, 15]
    assert mail.offsets_s(T0) == [0, 15, 35]  # due at 10, caught by the tick at 15


async def test_a_slow_channel_does_not_hold_up_the_others_in_run(clock: FakeClock) -> None:
    mail = FakeChannel("mail", clock)
    mail.gate = asyncio.Event()  # the mail server takes its time
    hook = FakeChannel("hook", clock)
    queue, _ = make_queue(clock, mail, hook)
    runner = asyncio.create_task(queue.run())
    await queue.submit("mail", message())
    await queue.submit("hook", message())
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(hook.delivered) == 1
    assert mail.delivered == []
    mail.gate.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(mail.delivered) == 1
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner


async def test_one_groups_notifications_keep_their_order_other_groups_go_on(
    clock: FakeClock,
) -> None:
    hook = FakeChannel("hook", clock, down_for=2)
    queue, _ = make_queue(clock, hook)
    firing = message()
    resolved = message(
        county_unreachable(status=AlertStatus.RESOLVED),
        status=AlertStatus.RESOLVED,
        reason=NotifyReason.RESOLVED,
    )
    other_group = message(group_key='{}:{region="440200"}')
    await queue.submit("hook", firing)
    await queue.submit("hook", resolved)
    await queue.submit("hook", other_group)
    await queue.tick()
    # the first group's "resolved" waits behind its "firing"; the other group is tried at once
    assert [m.group_key for _, m in hook.calls] == [firing.group_key, other_group.group_key]
    await play(queue, clock)
    assert [(at - T0).total_seconds() for at, _ in hook.delivered] == [10, 10, 10]
    first_group = [m.status for _, m in hook.delivered if m.group_key == firing.group_key]
    assert first_group == [AlertStatus.FIRING, AlertStatus.RESOLVED]


async def test_a_final_failure_is_not_retried(clock: FakeClock) -> None:
    hook = FakeChannel("hook", clock, down_for=1, final=True)
    queue, log = make_queue(clock, hook)
    await queue.submit("hook", message())
    await play(queue, clock)
    assert len(hook.calls) == 1
    (failed,) = await log.deliveries(state=DeliveryState.FAILED)
    assert failed.last_error == "connection refused by 127.0.0.1:9"


async def test_retry_after_from_the_far_end_stretches_the_pause(clock: FakeClock) -> None:
    hook = FakeChannel("hook", clock, down_for=1, retry_after_s=120)
    queue, _ = make_queue(clock, hook)
    await queue.submit("hook", message())
    await play(queue, clock)
    assert hook.offsets_s(T0) == [0, 120]


async def test_an_unknown_channel_fails_visibly(clock: FakeClock) -> None:
    queue, log = make_queue(clock)
    await queue.submit("pager", message())
    await queue.tick()
    (failed,) = await log.deliveries(state=DeliveryState.FAILED)
    assert failed.last_error == "no channel of that name is configured"


async def test_a_channel_bug_is_retried_and_logged(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    queue, _log = make_queue(clock, BrokenChannel())
    await queue.submit("broken", message())
    with caplog.at_level(logging.ERROR, logger="alerts.notify.delivery"):
        (attempt,) = await queue.tick()
    assert attempt.outcome is AttemptOutcome.RETRYING
    assert attempt.error == "unexpected RuntimeError in the channel"
    assert "channel broken failed on delivery" in caplog.text


async def test_an_attempt_that_hangs_is_cut_off(clock: FakeClock) -> None:
    hook = FakeChannel("hook", clock)
    hook.gate = asyncio.Event()  # never opens
    policy = RetryPolicy(initial_backoff_s=10, attempt_timeout_s=0.01)
    queue, _ = make_queue(clock, hook, policy=policy)
    await queue.submit("hook", message())
    (attempt,) = await queue.tick()
    assert attempt.outcome is AttemptOutcome.RETRYING
    assert attempt.error == "no result within 0.01 s"


async def test_pending_deliveries_survive_a_restart(clock: FakeClock) -> None:
    log = InMemoryNotificationLog()
    down = FakeChannel("hook", clock, down_for=10**6)
    before, _ = make_queue(clock, down, log=log)
    original = await before.submit("hook", message())
    await before.tick()
    del before  # the process stops

    clock.advance(3)
    up = FakeChannel("hook", clock)
    after, _ = make_queue(clock, up, log=log)
    assert await after.resume() == 1
    assert await after.resume() == 0  # nothing twice
    assert after.next_due() == T0 + timedelta(seconds=10)
    await play(after, clock)
    ((at, sent),) = up.delivered
    assert at == T0 + timedelta(seconds=10)
    assert sent.delivery_id == original.id
    assert sent.alerts == original.message.alerts
    attempts = await log.attempts(delivery_id=original.id)
    assert [a.attempt_no for a in attempts] == [1, 2]


async def test_run_sleeps_exactly_until_each_due_attempt(clock: FakeClock) -> None:
    hook = FakeChannel("hook", clock, down_for=3)
    sleep = FakeSleep(clock)
    log = InMemoryNotificationLog()
    queue = DeliveryQueue({"hook": hook}, log, clock, policy=POLICY, rand=no_jitter, sleep=sleep)
    await queue.submit("hook", message())
    await asyncio.wait_for(queue.run(until_idle=True), timeout=5)
    assert sleep.pauses == [10, 20, 40]
    assert hook.offsets_s(T0) == [0, 10, 30, 70]
    assert len(hook.delivered) == 1


async def test_run_wakes_for_a_new_submission(clock: FakeClock) -> None:
    hook = FakeChannel("hook", clock)
    never = asyncio.Event()

    async def sleep_forever(seconds: float) -> None:
        await never.wait()

    queue = DeliveryQueue({"hook": hook}, InMemoryNotificationLog(), clock, sleep=sleep_forever)
    runner = asyncio.create_task(queue.run())
    await asyncio.sleep(0)
    await queue.submit("hook", message())
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(hook.delivered) == 1
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner


class UnavailableLog(InMemoryNotificationLog):
    async def add_delivery(self, delivery: Delivery) -> None:
        raise StoreError("database is locked")

    async def record_attempt(self, attempt: DeliveryAttempt, delivery: Delivery) -> None:
        raise StoreError("database is locked")


async def test_a_log_that_is_down_does_not_stop_deliveries(clock: FakeClock) -> None:
    hook = FakeChannel("hook", clock)
    queue, _ = make_queue(clock, hook, log=UnavailableLog())
    await queue.submit("hook", message())
    (attempt,) = await queue.tick()
    assert attempt.outcome is AttemptOutcome.DELIVERED


def test_backoff_grows_caps_and_jitters_within_bounds() -> None:
    policy = RetryPolicy(initial_backoff_s=10, multiplier=2, max_backoff_s=600, jitter=0.2)
    assert policy.backoff_s(1, 0.5) == 10
    assert policy.backoff_s(3, 0.5) == 40
    assert policy.backoff_s(20, 0.5) == 600
    assert policy.backoff_s(1, 0.0) == pytest.approx(8)
    assert policy.backoff_s(1, 0.999999) == pytest.approx(12, abs=1e-4)


def test_a_policy_that_makes_no_sense_is_refused() -> None:
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)
    with pytest.raises(ValueError, match="back-off"):
        RetryPolicy(multiplier=0.5)
