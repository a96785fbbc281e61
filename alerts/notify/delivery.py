"""Reliable delivery: every notification is tried until a channel takes it, or visibly given up.

:class:`DeliveryQueue` takes ``(channel name, message)``, records the delivery in the
:class:`~alerts.notify.log.NotificationLog` and sends it. A failure that may pass (the channel is
down, busy, answered "later") is retried after an exponential back-off with jitter; a final
failure, ``max_attempts`` attempts, or a delivery older than ``max_age_s`` ends it as *failed* —
kept in the log, where it is seen. Every attempt is logged with its outcome and next due time, so
pending deliveries survive a restart: :meth:`DeliveryQueue.resume` reloads them.

Ordering and blocking. Notifications of one alert group to one receiver through one channel (a
*lane*) go out in the order they were submitted: a "resolved" never overtakes the "firing" it
follows. Lanes are independent: a channel that is down, or slow, delays only its own lanes, never
another channel's (no head-of-line blocking).

Time comes from the injected clock and waiting from the injected ``sleep``, so tests run whole
timelines on a :class:`~core.clock.FakeClock` without sleeping: :meth:`DeliveryQueue.tick` runs
what is due now; :meth:`DeliveryQueue.run` loops, sleeping until the next attempt is due.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from alerts.notify.channel import DeliveryFailed, NotificationChannel
from alerts.notify.log import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    NotificationLog,
    with_attempt,
)
from alerts.notify.message import AlertMessage
from core.clock import Clock

log = logging.getLogger(__name__)

Lane = tuple[str, str, str]
"""(channel, receiver, group key): notifications that must keep their order."""
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often, how long, and how far apart failed deliveries are retried."""

    initial_backoff_s: float = 10.0
    """Pause after the first failed attempt."""
    multiplier: float = 2.0
    """Each further pause is this many times the previous one ..."""
    max_backoff_s: float = 600.0
    """... but never longer than this."""
    jitter: float = 0.2
    """Each pause is moved at random by up to this fraction either way, so many deliveries
    that failed together (a receiver restarting) do not all come back at the same instant."""
    max_attempts: int = 200
    """Attempts before a delivery counts as failed."""
    max_age_s: float = 86400.0
    """Seconds after submission when a failing delivery is given up (a day-old page helps
    nobody); a delivery always gets at least one attempt, however late."""
    attempt_timeout_s: float = 60.0
    """Longest one attempt may take (a channel's own timeouts should fire first)."""

    def __post_init__(self) -> None:
        if self.initial_backoff_s <= 0 or self.multiplier < 1 or self.max_backoff_s <= 0:
            raise ValueError("back-off must be positive and must not shrink")
        if not 0 <= self.jitter < 1 or self.max_attempts < 1 or self.attempt_timeout_s <= 0:
            raise ValueError("jitter in [0, 1), max_attempts >= 1, attempt_timeout_s > 0")

    def backoff_s(self, failed_attempts: int, rand: float) -> float:
        """Pause after the ``failed_attempts``-th failure; ``rand`` in [0, 1) places the jitter
        (0.5 means none)."""
        base = min(
            self.initial_backoff_s * self.multiplier ** (failed_attempts - 1), self.max_backoff_s
        )
        return base * (1.0 + self.jitter * (2.0 * rand - 1.0))


def _new_id() -> str:
    return uuid.uuid4().hex


class DeliveryQueue:
    """Delivers notifications through named channels, retrying until they are taken."""

    def __init__(
        self,
        channels: Mapping[str, NotificationChannel],
        notification_log: NotificationLog,
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        rand: Callable[[], float] = random.random,
        sleep: Sleep = asyncio.sleep,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self._channels = dict(channels)
        self._log = notification_log
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._rand = rand
        self._sleep = sleep
        self._new_id = new_id
        self._lanes: dict[Lane, deque[Delivery]] = {}
        self._busy: set[Lane] = set()
        self._wake = asyncio.Event()

    @property
    def policy(self) -> RetryPolicy:
        return self._policy

    def pending(self) -> list[Delivery]:
        """Deliveries not yet delivered or failed, as this queue holds them."""
        return [d for lane in self._lanes.values() for d in lane]

    def next_due(self) -> datetime | None:
        """When the earliest waiting attempt is due (``None`` when nothing waits)."""
        return min(
            (lane[0].next_attempt_at or lane[0].created_at for lane in self._lanes.values()),
            default=None,
        )

    async def submit(self, channel: str, message: AlertMessage) -> Delivery:
        """Queue ``message`` for ``channel``; it is due at once. An unknown channel is not an
        error here: the first attempt fails for good, and the log shows it."""
        now = self._clock.now()
        delivery = Delivery(
            id=self._new_id(),
            channel=channel,
            message=message,
            created_at=now,
            next_attempt_at=now,
            updated_at=now,
        )
        try:
            await self._log.add_delivery(delivery)
        except Exception:  # the alert must not be lost because the log is: keep it in memory
            # The first attempt's record writes the whole delivery again.
            log.exception("notification log unavailable; delivery %s held in memory", delivery.id)
        self._enqueue(delivery)
        return delivery

    async def resume(self) -> int:
        """Reload pending deliveries from the log (after a restart); returns how many were new
        to this queue. Overdue ones are due at once."""
        known = {d.id for d in self.pending()}
        loaded = [d for d in await self._log.pending() if d.id not in known]
        for delivery in sorted(loaded, key=lambda d: (d.created_at, d.id)):
            self._enqueue(delivery)
        return len(loaded)

    def _enqueue(self, delivery: Delivery) -> None:
        lane = (delivery.channel, delivery.receiver, delivery.group_key)
        self._lanes.setdefault(lane, deque()).append(delivery)
        self._wake.set()

    def _due_lanes(self, now: datetime) -> list[Lane]:
        return [
            lane
            for lane, queue in self._lanes.items()
            if lane not in self._busy and (queue[0].next_attempt_at or now) <= now
        ]

    async def tick(self, now: datetime | None = None) -> list[DeliveryAttempt]:
        """Make every attempt due at ``now`` (default: the clock's now), lanes in parallel;
        returns the attempts made."""
        now = now or self._clock.now()
        lanes = self._due_lanes(now)
        self._busy.update(lanes)
        done = await asyncio.gather(*(self._work_lane(lane, now) for lane in lanes))
        return [attempt for attempts in done for attempt in attempts]

    async def _work_lane(self, lane: Lane, now: datetime) -> list[DeliveryAttempt]:
        """Attempt the lane's head; while it is delivered or given up, go on with the next."""
        made: list[DeliveryAttempt] = []
        try:
            queue = self._lanes[lane]
            while queue and (queue[0].next_attempt_at or now) <= now:
                attempt, after = await self._attempt(queue[0])
                made.append(attempt)
                if attempt.outcome is AttemptOutcome.RETRYING:
                    queue[0] = after
                    break
                queue.popleft()
            if not queue:
                del self._lanes[lane]
        finally:
            self._busy.discard(lane)
            self._wake.set()
        return made

    async def _attempt(self, delivery: Delivery) -> tuple[DeliveryAttempt, Delivery]:
        at = self._clock.now()
        error: str | None = None
        retryable = False
        retry_after_s: float | None = None
        channel = self._channels.get(delivery.channel)
        try:
            if channel is None:
                raise DeliveryFailed(
                    delivery.channel, "no channel of that name is configured", retryable=False
                )
            message = replace(delivery.message, delivery_id=delivery.id)
            await asyncio.wait_for(channel.send(message), self._policy.attempt_timeout_s)
        except DeliveryFailed as exc:
            error, retryable, retry_after_s = exc.reason, exc.retryable, exc.retry_after_s
        except TimeoutError:
            error, retryable = f"no result within {self._policy.attempt_timeout_s:g} s", True
        except Exception as exc:  # a channel's bug must not lose the notification
            log.exception("channel %s failed on delivery %s", delivery.channel, delivery.id)
            error, retryable = f"unexpected {type(exc).__name__} in the channel", True
        attempt, after = self._outcome(delivery, at, error, retryable, retry_after_s)
        try:
            await self._log.record_attempt(attempt, after)
        except Exception:  # the log failing must not stop deliveries (they go on from memory)
            log.exception("notification log unavailable; attempt %s not recorded", attempt.id)
        self._report(attempt)
        return attempt, after

    def _outcome(
        self,
        delivery: Delivery,
        at: datetime,
        error: str | None,
        retryable: bool,
        retry_after_s: float | None,
    ) -> tuple[DeliveryAttempt, Delivery]:
        if error is None:
            return with_attempt(
                delivery, at=at, outcome=AttemptOutcome.DELIVERED, error=None, next_attempt_at=None
            )
        attempt_no = delivery.attempts + 1
        ended = self._clock.now()
        age_s = (ended - delivery.created_at).total_seconds()
        policy = self._policy
        if not retryable or attempt_no >= policy.max_attempts or age_s >= policy.max_age_s:
            if retryable:
                error = f"gave up after {attempt_no} attempts in {age_s:.0f} s: {error}"
            return with_attempt(
                delivery, at=at, outcome=AttemptOutcome.FAILED, error=error, next_attempt_at=None
            )
        pause_s = max(policy.backoff_s(attempt_no, self._rand()), retry_after_s or 0.0)
        return with_attempt(
            delivery,
            at=at,
            outcome=AttemptOutcome.RETRYING,
            error=error,
            next_attempt_at=ended + timedelta(seconds=pause_s),
        )

    @staticmethod
    def _report(attempt: DeliveryAttempt) -> None:
        where = f"{attempt.channel} → {attempt.receiver} (delivery {attempt.delivery_id})"
        if attempt.outcome is AttemptOutcome.DELIVERED:
            level = logging.INFO if attempt.attempt_no > 1 else logging.DEBUG
            log.log(level, "notification delivered to %s at attempt %d", where, attempt.attempt_no)
        elif attempt.outcome is AttemptOutcome.RETRYING:
            log.warning(
                "notification to %s failed (attempt %d: %s); next attempt at %s",
                where,
                attempt.attempt_no,
                attempt.error,
                attempt.next_attempt_at,
            )
        else:
            log.error("notification to %s FAILED for good: %s", where, attempt.error)

    async def run(self, *, until_idle: bool = False) -> None:
        """Deliver forever (or, with ``until_idle``, until nothing is pending): start each lane
        as soon as it is due, sleep until the next due attempt or a new submission.

        Cancelling it leaves unfinished deliveries pending (in the log: :meth:`resume`)."""
        workers: set[asyncio.Task[list[DeliveryAttempt]]] = set()
        try:
            while True:
                self._wake.clear()
                now = self._clock.now()
                for lane in self._due_lanes(now):
                    self._busy.add(lane)
                    worker = asyncio.create_task(self._work_lane(lane, now))
                    workers.add(worker)
                    worker.add_done_callback(workers.discard)
                if until_idle and not self._lanes and not workers:
                    return
                await self._wait(self._idle_due(now))
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    def _idle_due(self, now: datetime) -> float | None:
        """Seconds until the next attempt of a lane nobody is working on."""
        due = [
            queue[0].next_attempt_at or now
            for lane, queue in self._lanes.items()
            if lane not in self._busy
        ]
        return max((min(due) - now).total_seconds(), 0.0) if due else None

    async def _wait(self, seconds: float | None) -> None:
        """Until ``seconds`` have passed or something was submitted or finished."""
        if self._wake.is_set():
            return
        waiters: set[asyncio.Future[object]] = {asyncio.ensure_future(self._wake.wait())}
        if seconds is not None:
            waiters.add(asyncio.ensure_future(self._sleep(seconds)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
