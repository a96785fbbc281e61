"""Sending the fleet's heartbeats: each terminal beats about every ``interval_s``, on its own phase.

:class:`TerminalSimulator` keeps one schedule for the whole fleet (a heap of due times on the
clock's monotonic time) and a bounded number of requests in flight, so a few thousand terminals
cost one coroutine each only while they talk. Per beat, per terminal:

- its county cut off (:mod:`lab.terminals.reachability`): nothing is sent — the NOC must see the
  silence — and it looks again next interval;
- 2xx: counts start again; the reply's target versions are installed (:mod:`.behaviour`); the next
  beat comes when the reply's ``next_heartbeat_s`` says;
- 401: the credential is unknown or revoked: that terminal stops for good, and is counted;
- 429 or 5xx, or no connection at all: it backs off (exponentially, with jitter, up to a cap);
- any other refusal (403 for a suspended terminal, 422): it tries again next interval.

Tests drive it without sleeping: a :class:`~core.clock.FakeClock`, then :meth:`run_due` (every
terminal due now beats) or :meth:`beat` (one terminal, now); :meth:`run` takes the waiting
function too. :func:`run_simulator` wires it to a running lab and an API.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from core.clock import Clock, SystemClock
from core.errors import LabError
from lab.terminals.behaviour import (
    BeatReply,
    InstallPolicy,
    SimulatedTerminal,
    StopReason,
    start_terminals,
)
from lab.terminals.faults import FaultSpec, plan_terminal_faults
from lab.terminals.fleet import FleetSpec, generate_fleet
from lab.terminals.inputs import check_loopback, load_lab_province, load_tokens
from lab.terminals.reachability import CountyReachability
from lab.terminals.stats import BeatOutcome, SimulatorStats

_log = logging.getLogger(__name__)

HEARTBEAT_PATH = "/api/v1/terminals/heartbeat"


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """How the simulator paces and sends the beats."""

    interval_s: float = 60.0
    """Seconds between a terminal's beats until the API says otherwise."""
    jitter_share: float = 0.1
    """Each wait is this share longer or shorter, at random, so terminals drift apart."""
    honour_next_heartbeat: bool = True
    """Follow the reply's ``next_heartbeat_s``; False keeps ``interval_s`` (for load tests)."""
    request_timeout_s: float = 10.0
    """Connect, send and read, each; a beat that times out counts as a connection error."""
    max_in_flight: int = 64
    """Requests under way at once (and connections in the pool)."""
    backoff_base_s: float = 5.0
    """First wait after a connection error or 5xx; it doubles with each failure in a row."""
    max_backoff_s: float = 300.0
    """The longest back-off: a terminal looks for the API at least this often."""
    tick_s: float = 1.0
    """Longest the loop waits before looking at the schedule and faults.json again."""
    batch_s: float = 0.05
    """Shortest wait: beats due within it go together (thousands of phases, one wake-up)."""
    progress_every_s: float = 10.0
    """Seconds between progress lines (the first comes at once)."""
    installs: InstallPolicy = field(default_factory=InstallPolicy)
    """How terminals take the target versions the replies name."""

    def __post_init__(self) -> None:
        positive = (
            self.interval_s,
            self.request_timeout_s,
            self.backoff_base_s,
            self.tick_s,
            self.batch_s,
        )
        if min(positive) <= 0 or self.progress_every_s <= 0:
            raise LabError("the simulator's intervals, timeouts and back-off must be positive")
        if self.max_in_flight < 1:
            raise LabError("the simulator needs at least one request in flight")
        if not 0.0 <= self.jitter_share < 1.0:
            raise LabError("jitter is a share of the interval, from 0 up to (not including) 1")


class Reachability(Protocol):
    """Which counties are cut off (:class:`~lab.terminals.reachability.CountyReachability`)."""

    @property
    def cut_off(self) -> frozenset[str]: ...

    def refresh(self) -> bool: ...


Wait = Callable[[float, asyncio.Event], Awaitable[None]]
"""Waits up to so many seconds, or until the event is set."""


async def wait_or_stop(seconds: float, stop: asyncio.Event) -> None:
    """The real wait: ``seconds``, or less when ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class TerminalSimulator:
    """The fleet's heartbeats into one API, on one schedule."""

    def __init__(
        self,
        terminals: Sequence[SimulatedTerminal],
        tokens: dict[str, str],
        client: httpx.AsyncClient,
        api_url: str,
        clock: Clock,
        config: SimulatorConfig | None = None,
        reachability: Reachability | None = None,
    ) -> None:
        """``terminals`` without a token in ``tokens`` are left out (they cannot authenticate)."""
        self._config = config or SimulatorConfig()
        self._terminals = {t.terminal.id: t for t in terminals if t.terminal.id in tokens}
        self._tokens = tokens
        self._client = client
        self._url = api_url.rstrip("/") + HEARTBEAT_PATH
        self._clock = clock
        self._reachability = reachability
        self._slots = asyncio.Semaphore(self._config.max_in_flight)
        self._due_at: dict[str, float] = {}
        self._cadence_s: dict[str, float] = {}
        """Seconds between beats each terminal was last told (``next_heartbeat_s``)."""
        self._heap: list[tuple[float, int, str]] = []
        self._order = itertools.count()
        self._in_flight: set[asyncio.Task[BeatOutcome]] = set()
        self._next_refresh = clock.monotonic()
        self.stats = SimulatorStats(terminals=len(self._terminals))
        start = clock.monotonic()
        for terminal in self._terminals.values():
            # Spread the first beats over one interval, as terminals switched on through a day.
            self._schedule(terminal, start + terminal.rng.uniform(0, self._config.interval_s))

    @property
    def terminals(self) -> dict[str, SimulatedTerminal]:
        return self._terminals

    @property
    def idle(self) -> bool:
        """Nothing scheduled and nothing in flight: every terminal has stopped."""
        return not self._due_at and not self._in_flight

    def due_at(self, terminal_id: str) -> float | None:
        """When the terminal beats next (monotonic seconds); None while in flight or stopped."""
        return self._due_at.get(terminal_id)

    async def beat(self, terminal_id: str) -> BeatOutcome:
        """One turn of one terminal, now, whatever its schedule; it is scheduled again after."""
        terminal = self._terminals[terminal_id]
        self._due_at.pop(terminal_id, None)
        async with self._slots:
            try:
                outcome = await self._turn(terminal)
            except Exception:  # noqa: BLE001 - a task boundary: one bad terminal never stops all
                _log.exception("terminal %s: heartbeat failed", terminal_id)
                self._schedule_after(terminal, self._config.interval_s)
                outcome = BeatOutcome.FAILED
        self.stats.count(outcome)
        return outcome

    async def run_due(self) -> int:
        """Every terminal due now takes its turn; returns when all have. How many did."""
        self._next_refresh = self._clock.monotonic()  # look at faults.json now
        launched = self._launch_due()
        await self.drain()
        self._count_silence()
        return launched

    async def drain(self, timeout_s: float | None = None) -> None:
        """Wait for the beats in flight (cancel those still going after ``timeout_s``)."""
        if not self._in_flight:
            return
        _, pending = await asyncio.wait(set(self._in_flight), timeout=timeout_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def run(
        self,
        stop: asyncio.Event,
        wait: Wait = wait_or_stop,
        progress: Callable[[SimulatorStats], None] | None = None,
    ) -> SimulatorStats:
        """Beat until ``stop`` is set (or every terminal has stopped); then let the last finish."""
        config = self._config
        next_progress = self._clock.monotonic()  # a first line at once: what runs
        try:
            while not stop.is_set():
                self._launch_due()
                now = self._clock.monotonic()
                if progress is not None and now >= next_progress:
                    self._count_silence()
                    progress(self.stats)
                    next_progress = now + config.progress_every_s
                if self.idle:
                    break
                next_due = self._heap[0][0] if self._heap else now + config.tick_s
                await wait(min(config.tick_s, max(config.batch_s, next_due - now)), stop)
        finally:
            await self.drain(timeout_s=config.request_timeout_s)
        self._count_silence()
        return self.stats

    def _launch_due(self) -> int:
        now = self._clock.monotonic()
        if self._reachability is not None and now >= self._next_refresh:
            self._reachability.refresh()
            self._next_refresh = now + self._config.tick_s
        launched = 0
        while self._heap and self._heap[0][0] <= now:
            due, _, terminal_id = heapq.heappop(self._heap)
            if self._due_at.get(terminal_id) != due:
                continue  # rescheduled since (a direct beat): this entry is stale
            task = asyncio.create_task(self.beat(terminal_id), name=f"beat {terminal_id}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            launched += 1
        return launched

    async def _turn(self, terminal: SimulatedTerminal) -> BeatOutcome:
        config = self._config
        now = self._clock.now()
        for install in terminal.apply_installs(now, config.installs):
            self.stats.count_install(install)
        if terminal.stopped is not None:
            return BeatOutcome.STOPPED
        if (
            self._reachability is not None
            and terminal.terminal.county in self._reachability.cut_off
        ):
            terminal.account(now, online=False)
            # A real terminal keeps trying on the cadence the NOC last gave it: it is heard
            # again one beat after its county is back, not a whole default interval later.
            self._schedule_after(terminal, self._cadence(terminal))
            return BeatOutcome.SILENT
        body = terminal.heartbeat(now)
        token = self._tokens[terminal.terminal.id]
        try:
            response = await self._client.post(
                self._url, json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TransportError:
            return self._back_off(terminal, BeatOutcome.CONNECTION_ERROR)
        status = response.status_code
        if status == 401:
            terminal.stopped = StopReason.UNAUTHORIZED
            return BeatOutcome.UNAUTHORIZED
        if status == 429 or status >= 500:
            return self._back_off(terminal, BeatOutcome.SERVER_ERROR)
        if not 200 <= status < 300:
            self._schedule_after(terminal, self._cadence(terminal))
            return BeatOutcome.REFUSED
        try:
            reply: BeatReply | None = BeatReply.parse(response.json())
        except ValueError:
            reply = None
        terminal.accepted(reply, self._clock.now(), config.installs)
        wait_s = config.interval_s
        if reply is not None and config.honour_next_heartbeat:
            wait_s = self._cadence_s[terminal.terminal.id] = float(reply.next_heartbeat_s)
        self._schedule_after(terminal, wait_s)
        return BeatOutcome.ACCEPTED if reply is not None else BeatOutcome.BAD_REPLY

    def _cadence(self, terminal: SimulatedTerminal) -> float:
        """Seconds between beats: what the NOC last asked of this terminal, else the default."""
        return self._cadence_s.get(terminal.terminal.id, self._config.interval_s)

    def _back_off(self, terminal: SimulatedTerminal, outcome: BeatOutcome) -> BeatOutcome:
        terminal.consecutive_failures += 1
        config = self._config
        exponent = min(terminal.consecutive_failures - 1, 16)
        delay = min(config.max_backoff_s, config.backoff_base_s * 2**exponent)
        # Full jitter in the upper half: a fleet that lost the API must not return in one wave.
        self._schedule(terminal, self._clock.monotonic() + delay * terminal.rng.uniform(0.5, 1.0))
        return outcome

    def _schedule_after(self, terminal: SimulatedTerminal, seconds: float) -> None:
        delay = terminal.jittered(seconds, self._config.jitter_share)
        self._schedule(terminal, self._clock.monotonic() + delay)

    def _schedule(self, terminal: SimulatedTerminal, due: float) -> None:
        terminal_id = terminal.terminal.id
        self._due_at[terminal_id] = due
        heapq.heappush(self._heap, (due, next(self._order), terminal_id))

    def _count_silence(self) -> None:
        cut_off = self._reachability.cut_off if self._reachability is not None else frozenset()
        self.stats.cut_off_counties = len(cut_off)
        self.stats.silent_terminals = sum(
            1
            for t in self._terminals.values()
            if t.stopped is None and t.terminal.county in cut_off
        )


async def run_simulator(
    api_url: str,
    tokens_path: Path,
    lab_dir: Path,
    *,
    seed: int,
    interval_s: float = 60.0,
    stop: asyncio.Event,
    config: SimulatorConfig | None = None,
    clock: Clock | None = None,
    fleet_spec: FleetSpec | None = None,
    fault_spec: FaultSpec | None = None,
    progress: Callable[[SimulatorStats], None] | None = None,
    wait: Wait = wait_or_stop,
) -> SimulatorStats:
    """Run the lab's terminals (those with a token) against the API until ``stop`` is set.

    The fleet is the one :func:`~lab.terminals.fleet.generate_fleet` makes of the lab's
    province.json and ``seed`` — the fleet the lab's enrollment registered and issued tokens for.
    ``config`` overrides ``interval_s`` when given; ``clock`` and ``wait`` let a test run it on
    fake time. Raises :class:`LabError` for an API address
    off loopback, a missing province or an unreadable tokens file.
    """
    config = config or SimulatorConfig(interval_s=interval_s)
    check_loopback(api_url)
    province = load_lab_province(lab_dir)
    tokens = load_tokens(tokens_path)
    clock = clock or SystemClock()
    fleet = generate_fleet(province, seed, fleet_spec)
    faults = plan_terminal_faults(fleet, seed, fault_spec)
    terminals = start_terminals(fleet, faults, seed, clock.now(), only=tokens.keys())
    if not terminals:
        raise LabError(f"{tokens_path} holds a token for none of the lab's {len(fleet)} terminals")
    reachability = CountyReachability.of_province(lab_dir, province)
    limits = httpx.Limits(
        max_connections=config.max_in_flight, max_keepalive_connections=config.max_in_flight
    )
    # trust_env off: a proxy from the environment must not carry loopback traffic elsewhere.
    async with httpx.AsyncClient(
        limits=limits, timeout=config.request_timeout_s, trust_env=False
    ) as client:
        simulator = TerminalSimulator(
            terminals, tokens, client, api_url, clock, config, reachability
        )
        return await simulator.run(stop, wait=wait, progress=progress)
