"""Test doubles for delivery: channels that fail on cue, a sleep that moves a fake clock."""

from __future__ import annotations

import asyncio
from datetime import datetime

from alerts.notify.channel import DeliveryFailed
from alerts.notify.message import AlertMessage
from core.clock import FakeClock


class FakeChannel:
    """Fails its first ``down_for`` sends (retryably unless ``final``), then accepts."""

    def __init__(
        self,
        name: str,
        clock: FakeClock,
        *,
        down_for: int = 0,
        final: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        self._name = name
        self._clock = clock
        self.down_for = down_for
        self.final = final
        self.retry_after_s = retry_after_s
        self.calls: list[tuple[datetime, AlertMessage]] = []
        self.delivered: list[tuple[datetime, AlertMessage]] = []
        self.gate: asyncio.Event | None = None
        """When set to an event, each send waits for it first (a slow far end)."""

    @property
    def name(self) -> str:
        return self._name

    async def send(self, message: AlertMessage) -> None:
        self.calls.append((self._clock.now(), message))
        if self.gate is not None:
            await self.gate.wait()
        if self.down_for > 0:
            self.down_for -= 1
            raise DeliveryFailed(
                self._name,
                "connection refused by 127.0.0.1:9",
                retryable=not self.final,
                retry_after_s=self.retry_after_s,
            )
        self.delivered.append((self._clock.now(), message))

    def offsets_s(self, start: datetime) -> list[float]:
        """Seconds after ``start`` of every send."""
        return [(at - start).total_seconds() for at, _ in self.calls]


class BrokenChannel:
    """A channel with a bug: raises something that is not a DeliveryFailed."""

    name = "broken"

    async def send(self, message: AlertMessage) -> None:
        raise RuntimeError("bug in the channel")


class FakeSleep:
    """An injectable sleep: records the pause and moves the fake clock by it."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)
