"""The simulator against a real local heartbeat API, on a fake clock: no test waits for time."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from core.clock import FakeClock
from core.errors import LabError
from lab.fault_store import LabFaults, remove_faults, write_faults
from lab.faults import Faults, fault_effect
from lab.model import Province
from lab.terminals.behaviour import InstallPolicy, start_terminals
from lab.terminals.faults import TerminalFault
from lab.terminals.fleet import LabTerminal
from lab.terminals.reachability import CountyReachability
from lab.terminals.simulator import SimulatorConfig, TerminalSimulator
from lab.terminals.stats import BeatOutcome

from .conftest import SEED, HeartbeatApi

STEADY = SimulatorConfig(interval_s=60, jitter_share=0.0)
"""No jitter: a terminal that beat at t beats again at exactly t + 60."""


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        yield client


class Simulate(Protocol):
    """Builds a simulator over ``small_fleet`` on ``busy_clock``; by default with no terminal
    faults, every terminal's token, the test's heartbeat API and :data:`STEADY`."""

    def __call__(
        self,
        *,
        faults: dict[str, TerminalFault] | None = None,
        tokens: dict[str, str] | None = None,
        url: str | None = None,
        config: SimulatorConfig = STEADY,
        reachability: CountyReachability | None = None,
    ) -> TerminalSimulator: ...


@pytest.fixture
def simulate(
    request: pytest.FixtureRequest,
    small_fleet: tuple[LabTerminal, ...],
    tokens: dict[str, str],
    client: httpx.AsyncClient,
    busy_clock: FakeClock,
) -> Simulate:
    every_token = tokens

    def build(
        *,
        faults: dict[str, TerminalFault] | None = None,
        tokens: dict[str, str] | None = None,
        url: str | None = None,
        config: SimulatorConfig = STEADY,
        reachability: CountyReachability | None = None,
    ) -> TerminalSimulator:
        if url is None:  # started only when asked for: some tests want no API to answer
            url = request.getfixturevalue("heartbeat_api").url
        terminals = start_terminals(small_fleet, faults or {}, SEED, busy_clock.now())
        tokens = every_token if tokens is None else tokens
        return TerminalSimulator(terminals, tokens, client, url, busy_clock, config, reachability)

    return build


async def test_every_terminal_beats_once_an_interval(
    small_fleet: tuple[LabTerminal, ...],
    small_faults: dict[str, TerminalFault],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    simulator = simulate(faults=small_faults)
    assert await simulator.run_due() == 0  # first beats are spread over the first interval

    busy_clock.advance(60)
    assert await simulator.run_due() == len(small_fleet)
    busy_clock.advance(60)
    assert await simulator.run_due() == len(small_fleet)

    assert heartbeat_api.count() == 2 * len(small_fleet)
    assert all(len(heartbeat_api.beats_of(t.id)) == 2 for t in small_fleet)
    assert simulator.stats.accepted == simulator.stats.sent == 2 * len(small_fleet)


async def test_the_api_hears_each_terminal_s_faults(
    small_fleet: tuple[LabTerminal, ...],
    small_faults: dict[str, TerminalFault],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    simulator = simulate(faults=small_faults)
    busy_clock.advance(60)
    await simulator.run_due()
    by_fault = {fault: terminal for terminal, fault in small_faults.items()}

    assert heartbeat_api.beats_of(by_fault[TerminalFault.PSAM_MISSING])[0]["psam_status"] == (
        "missing"
    )
    assert (
        heartbeat_api.beats_of(by_fault[TerminalFault.READER_UNPLUGGED])[0]["reader_present"]
        is False
    )
    healthy = next(t.id for t in small_fleet if t.id not in small_faults)
    assert heartbeat_api.beats_of(healthy)[0]["psam_status"] == "ok"


async def test_terminals_without_a_token_stay_quiet(
    tokens: dict[str, str],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    some = dict(list(tokens.items())[:10])
    simulator = simulate(tokens=some)
    busy_clock.advance(60)
    await simulator.run_due()

    assert simulator.stats.terminals == 10
    assert heartbeat_api.beating() == set(some)


async def test_the_reply_s_next_heartbeat_sets_the_pace(
    small_fleet: tuple[LabTerminal, ...],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    heartbeat_api.next_heartbeat_s = 300
    simulator = simulate()
    terminal = small_fleet[0].id

    assert await simulator.beat(terminal) is BeatOutcome.ACCEPTED
    assert simulator.due_at(terminal) == busy_clock.monotonic() + 300


async def test_a_target_version_is_installed_and_reported(
    small_fleet: tuple[LabTerminal, ...],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    terminal = small_fleet[0].id
    heartbeat_api.target_firmware[terminal] = "3.3.0"
    heartbeat_api.target_parameters[terminal] = "P20260201"
    installs = InstallPolicy(firmware_delay_s=150, parameter_delay_s=10)  # 75-225 s, 5-15 s
    config = SimulatorConfig(interval_s=60, jitter_share=0.0, installs=installs)
    simulator = simulate(config=config)

    await simulator.beat(terminal)
    busy_clock.advance(60)
    await simulator.beat(terminal)  # the parameters are in; the firmware still downloads
    busy_clock.advance(180)
    await simulator.beat(terminal)

    reported = [
        (b["firmware_version"], b["parameter_version"]) for b in heartbeat_api.beats_of(terminal)
    ]
    original = (small_fleet[0].firmware_version, small_fleet[0].parameter_version)
    assert reported == [original, (original[0], "P20260201"), ("3.3.0", "P20260201")]
    assert heartbeat_api.beats_of(terminal)[-1]["uptime_s"] < 240 - 75
    assert simulator.stats.firmware_installs == simulator.stats.parameter_installs == 1


async def test_a_bad_firmware_leaves_terminals_dead(
    small_fleet: tuple[LabTerminal, ...],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    for terminal in small_fleet:
        heartbeat_api.target_firmware[terminal.id] = "6.6.6"
    policy = InstallPolicy(
        firmware_delay_s=30,  # 15-45 s: in before each terminal's next beat
        bad_firmware_versions=frozenset({"6.6.6"}),
        bad_firmware_failure_share=0.25,
    )
    config = SimulatorConfig(interval_s=60, jitter_share=0.0, installs=policy)
    simulator = simulate(config=config)
    for _ in range(2):
        busy_clock.advance(60)
        await simulator.run_due()
    before = heartbeat_api.count()
    busy_clock.advance(60)
    await simulator.run_due()

    dead = simulator.stats.bricked
    assert 0 < dead < len(small_fleet) / 2
    assert heartbeat_api.count() - before == len(small_fleet) - dead
    assert simulator.stats.firmware_installs == len(small_fleet) - dead


async def test_a_401_stops_that_terminal_and_only_it(
    small_fleet: tuple[LabTerminal, ...],
    tokens: dict[str, str],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    revoked = small_fleet[3].id
    heartbeat_api.revoked.add(tokens[revoked])
    simulator = simulate()
    for _ in range(3):
        busy_clock.advance(60)
        await simulator.run_due()

    assert simulator.stats.unauthorized == 1
    assert simulator.due_at(revoked) is None
    assert revoked not in heartbeat_api.beating()
    assert heartbeat_api.count() == 3 * (len(small_fleet) - 1)


async def test_connection_errors_back_off_and_keep_the_counts(
    small_fleet: tuple[LabTerminal, ...],
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hospital = next(t for t in small_fleet if t.kind == "hospital").id
    simulator = simulate(url=f"http://127.0.0.1:{port}")
    waits = []
    for _ in range(4):
        busy_clock.advance(600)
        assert await simulator.beat(hospital) is BeatOutcome.CONNECTION_ERROR
        waits.append(simulator.due_at(hospital) - busy_clock.monotonic())  # type: ignore[operator]

    # 5 s, 10 s, 20 s, 40 s: each in the upper half of its doubling, at random.
    assert all(5 * 2**n / 2 <= wait <= 5 * 2**n for n, wait in enumerate(waits))
    assert simulator.terminals[hospital].card_reads > 40  # forty minutes of reads, unreported


@pytest.mark.parametrize(
    ("status", "outcome", "retry_s"),
    [(503, BeatOutcome.SERVER_ERROR, (2.5, 5.0)), (403, BeatOutcome.REFUSED, (60.0, 60.0))],
)
async def test_server_errors_back_off_and_refusals_try_next_interval(
    small_fleet: tuple[LabTerminal, ...],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    status: int,
    outcome: BeatOutcome,
    retry_s: tuple[float, float],
    simulate: Simulate,
) -> None:
    terminal = small_fleet[0].id
    heartbeat_api.status[terminal] = status
    simulator = simulate()

    assert await simulator.beat(terminal) is outcome
    wait = simulator.due_at(terminal) - busy_clock.monotonic()  # type: ignore[operator]
    assert retry_s[0] <= wait <= retry_s[1]


async def test_a_cut_off_county_goes_silent_and_comes_back_with_its_queue(
    tmp_path: Path,
    small: Province,
    small_fleet: tuple[LabTerminal, ...],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    county = "440103"
    site = next(s.id for s in small.sites if s.region == county)
    faults = Faults()
    for link in (f"{site}-primary", f"{site}-backup"):
        faults = faults.with_link(link, datetime(2026, 1, 5, tzinfo=UTC))
    effect = fault_effect(small, faults)
    write_faults(
        tmp_path,
        LabFaults(generation=1, faults=faults, silent_devices=tuple(effect.silent_devices)),
    )
    reachability = CountyReachability.of_province(tmp_path, small)
    heartbeat_api.next_heartbeat_s = 600
    config = SimulatorConfig(interval_s=600, jitter_share=0.0)
    simulator = simulate(config=config, reachability=reachability)
    in_county = {t.id for t in small_fleet if t.county == county}
    for _ in range(3):
        busy_clock.advance(600)
        await simulator.run_due()

    assert heartbeat_api.beating() == {t.id for t in small_fleet} - in_county
    assert simulator.stats.silent_terminals == len(in_county)
    assert simulator.stats.cut_off_counties == 1

    remove_faults(tmp_path)  # `ssnoc lab recover`
    busy_clock.advance(600)
    await simulator.run_due()

    assert heartbeat_api.beating() == {t.id for t in small_fleet}
    queued = [heartbeat_api.beats_of(t)[0]["unsent_transactions"] for t in in_county]
    assert max(queued) > 10  # half an hour of transactions waited for the county's link
    assert simulator.stats.silent_terminals == 0


async def test_a_cut_off_terminal_keeps_the_cadence_the_noc_gave_it(
    tmp_path: Path,
    small: Province,
    small_fleet: tuple[LabTerminal, ...],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    terminal = next(t for t in small_fleet if t.county == "440103")
    reachability = CountyReachability.of_province(tmp_path, small)
    heartbeat_api.next_heartbeat_s = 5  # far quicker than the simulator's 60
    simulator = simulate(reachability=reachability)
    assert await simulator.beat(terminal.id) is BeatOutcome.ACCEPTED
    site = next(s.id for s in small.sites if s.region == "440103")
    router = next(d.id for d in small.devices if d.site == site)
    faults = Faults().with_device(router, datetime(2026, 1, 5, tzinfo=UTC))
    silent = fault_effect(small, faults).silent_devices
    write_faults(tmp_path, LabFaults(generation=1, faults=faults, silent_devices=tuple(silent)))
    reachability.refresh()

    busy_clock.advance(5)
    assert await simulator.beat(terminal.id) is BeatOutcome.SILENT
    # Heard again one beat after the county is back, not a default interval later.
    assert simulator.due_at(terminal.id) == busy_clock.monotonic() + 5


async def test_the_loop_runs_on_fake_time_until_stopped(
    small_fleet: tuple[LabTerminal, ...],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    simulator = simulate()
    stop = asyncio.Event()
    progress_lines: list[str] = []

    async def fake_wait(seconds: float, stop: asyncio.Event) -> None:
        await simulator.drain()
        busy_clock.advance(seconds)
        if heartbeat_api.count() >= 3 * len(small_fleet):
            stop.set()

    stats = await simulator.run(
        stop, wait=fake_wait, progress=lambda s: progress_lines.append(s.line())
    )

    assert stats.accepted == heartbeat_api.count() >= 3 * len(small_fleet)
    assert all(2 <= len(heartbeat_api.beats_of(t.id)) <= 4 for t in small_fleet)
    assert progress_lines[0].startswith(f"terminals {len(small_fleet)} ")
    assert len(progress_lines) >= 10  # every 10 s of three minutes


async def test_the_loop_ends_when_every_terminal_has_stopped(
    small_fleet: tuple[LabTerminal, ...],
    tokens: dict[str, str],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
    simulate: Simulate,
) -> None:
    heartbeat_api.revoked.update(tokens.values())
    simulator = simulate()

    async def fake_wait(seconds: float, stop: asyncio.Event) -> None:
        await simulator.drain()
        busy_clock.advance(seconds)

    stats = await simulator.run(asyncio.Event(), wait=fake_wait)
    assert stats.unauthorized == len(small_fleet)
    assert simulator.idle


def test_a_bad_config_is_refused() -> None:
    with pytest.raises(LabError):
        SimulatorConfig(interval_s=0)
    with pytest.raises(LabError):
        SimulatorConfig(max_in_flight=0)
