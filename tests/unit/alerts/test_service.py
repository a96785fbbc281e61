"""The alert pipeline as timelines: the toy province in a real SQLite state DB, polled by hand,
read by a real topology monitor, evaluated with the shipped rules, dispatched by the routes of
tests/data/alerts/pipeline.yaml to fake channels that record what they are sent.

Every 10 s of fake time the world is polled, the topology refreshed and one alert cycle run, as
the server does; then the delivery queue sends what is due.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from alerts.model import AlertStatus, Severity, TransitionKind
from alerts.notify.message import AlertMessage, NotifyReason
from alerts.notify.message import AlertStatus as MessageStatus
from alerts.pipeline import CycleReport
from alerts.routing import Channel
from alerts.service import AlertService
from alerts.service_factory import build_alert_service
from core.events import EventBus
from core.metrics.store import LatestValue
from core.settings import AlertSettings
from tests.unit.alerts.notify.fakes import FakeChannel
from tests.unit.topology.networks import GZ_CORE, LIWAN_ACC, YUEXIU_ACC
from tests.unit.topology.toy_state import T0, ToyState
from topology.monitor import TopologyMonitor

CONFIG = Path(__file__).resolve().parents[2] / "data" / "alerts" / "pipeline.yaml"
STEP_S = 10.0
GZ_CORE_LINKS = (
    "gz-dc1",
    "gz-dc2",
    "gz-liwan-primary",
    "gz-yuexiu-primary",
    "gz-yuexiu-backup",
    "fs-chancheng-backup",
)


class NoMetrics:
    """A metric store with no series: these timelines are about state and events."""

    def latest(self, name: str, matchers: Mapping[str, str] | None = None) -> list[LatestValue]:
        return []


class World:
    """The toy province, its topology monitor and an alert service over one state DB."""

    def __init__(
        self,
        tmp_path: Path,
        config: Path | None = CONFIG,
        *,
        settings: AlertSettings | None = None,
    ) -> None:
        """Fake channels for ``config``'s receivers, unless ``settings`` are given: then the
        real channels they and their alerting configuration describe."""
        self.toy = ToyState(tmp_path)
        self.clock = self.toy.clock
        self.settings = settings or AlertSettings(alerting_config_path=config)
        self.fake_channels = settings is None
        self.channels: dict[str, FakeChannel] = {}
        self.down_devices: set[str] = set()
        self.down_interfaces: set[tuple[str, str]] = set()
        self.monitor, self.service = self.start_noc()

    def start_noc(self) -> tuple[TopologyMonitor, AlertService]:
        """A fresh monitor and alert service (a server start) over the same state DB."""
        self.toy.bus = EventBus()
        monitor = self.toy.monitor()
        service = build_alert_service(
            self.settings,
            inventory=self.toy.inventory,
            db=self.toy.engine,
            state=self.toy.state,
            topology=monitor,
            metrics=NoMetrics(),
            clock=self.clock,
            bus=self.toy.bus,
            channel_factory=self._channel if self.fake_channels else None,
            rand=lambda: 0.5,
        )
        return monitor, service

    def restart(self) -> None:
        self.channels.clear()
        self.monitor, self.service = self.start_noc()

    def _channel(self, name: str, channel: Channel) -> FakeChannel:
        made = self.channels[name] = FakeChannel(name, self.clock)
        return made

    # --- faults ------------------------------------------------------------------------------

    def fail_device(self, device_id: str, *, with_links: Collection[str] = ()) -> None:
        """``device_id`` stops answering; the far ends of ``with_links`` lose carrier."""
        self.down_devices.add(device_id)
        for link in with_links:
            far = next(
                end.device
                for lk in self.toy.inventory.links
                if lk.id == link
                for end in (lk.a, lk.b)
                if end.device != device_id
            )
            self.down_interfaces.add(self.toy.end_of(link, far))

    def fail_link(self, link_id: str) -> None:
        """Both ends of ``link_id`` answer, its interfaces are down."""
        link = next(lk for lk in self.toy.inventory.links if lk.id == link_id)
        for end in (link.a, link.b):
            self.down_interfaces.add((end.device, end.interface))

    def recover(self) -> None:
        self.down_devices.clear()
        self.down_interfaces.clear()

    # --- time --------------------------------------------------------------------------------

    def offset_s(self) -> float:
        return (self.clock.now() - T0).total_seconds()

    async def step(self) -> CycleReport:
        """Poll, refresh the topology, one alert cycle, deliver what is due — at the clock's now."""
        self.toy.poll(self.down_devices, self.down_interfaces)
        self.monitor.refresh()
        report = await self.service.cycle(self.clock.now())
        await self.service.queue.tick()
        return report

    async def run_until(self, offset_s: float, every_s: float = STEP_S) -> list[CycleReport]:
        """Step every ``every_s`` until ``offset_s`` after T0 (inclusive)."""
        reports = []
        while self.offset_s() + every_s <= offset_s + 1e-9:
            self.clock.advance(every_s)
            reports.append(await self.step())
        return reports

    # --- what people were told ---------------------------------------------------------------

    def sent(self, receiver: str, *, notices: bool = False) -> list[tuple[float, AlertMessage]]:
        """(offset, message) delivered to ``receiver``; suppression notices only if asked."""
        out = []
        for name, channel in self.channels.items():
            if not name.startswith(f"{receiver}/"):
                continue
            for at, message in channel.delivered:
                if message.group_key.startswith("suppression:") != notices:
                    continue
                out.append(((at - T0).total_seconds(), message))
        return sorted(out, key=lambda item: item[0])

    def alert(self, rule: str, **labels: str) -> AlertStatus | None:
        found = self.service.pipeline.engine.find(rule, **labels)
        return found[0].status if found else None


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    world = World(tmp_path)
    yield world
    world.toy.close()


def summary(world: World, fingerprint: str) -> str:
    return world.service.alert(fingerprint).alert.annotations["summary"]


def headline(message: AlertMessage) -> tuple[str, str]:
    return message.headline.labels["alertname"], message.headline.labels.get("device", "")


async def test_a_county_device_that_stops_answering_alerts_once_after_its_for(
    world: World,
) -> None:
    await world.run_until(10)
    world.fail_device(LIWAN_ACC, with_links=("gz-liwan-primary", "gz-liwan-backup"))
    await world.run_until(120)
    assert world.alert("device-unreachable", device=LIWAN_ACC) is AlertStatus.PENDING
    await world.run_until(130)  # down since 20 s: fires at 140 (for: 2m)
    assert world.alert("device-unreachable", device=LIWAN_ACC) is AlertStatus.PENDING
    await world.run_until(140)
    unreachable = world.service.alerts(labels={"alertname": "device-unreachable"})
    assert [(a.labels["device"], a.status) for a in unreachable] == [
        (LIWAN_ACC, AlertStatus.FIRING)
    ]
    await world.run_until(300)

    # The site was cut off at once (site-isolated has no 'for'): that alert stands in for the
    # cause until the device's own fires, and stays the cause once told, so one notice only.
    sent = world.sent("noc")
    assert [(at, headline(m), m.reason) for at, m in sent] == [
        (50.0, ("site-isolated", LIWAN_ACC), NotifyReason.NEW)
    ]
    cause = world.service.alerts(labels={"alertname": "site-isolated"})[0]
    folded = {world.service.alert(fp).alert.rule for fp in cause.consequences}
    assert folded == {"device-unreachable", "county-link-down"}


async def test_a_city_core_down_notifies_its_root_cause_once_then_its_resolution(
    world: World,
) -> None:
    await world.run_until(10)
    world.fail_device(GZ_CORE, with_links=GZ_CORE_LINKS)
    world.fail_device(YUEXIU_ACC)  # both of its links end on gz-core1
    await world.run_until(600)

    sent = world.sent("noc")
    assert len(sent) == 1
    at, message = sent[0]
    assert (at, headline(message), message.reason) == (50.0, ("site-isolated", GZ_CORE), "new")
    (item,) = message.alerts
    assert item.consequences == ("gz-yuexiu is cut off from the province core",)
    # What fired later was folded under the same cause, and told nobody.
    firing = world.service.alerts(status=AlertStatus.FIRING)
    assert [a.fingerprint for a in firing if a.caused_by is None] == [item.fingerprint]
    folded = {summary(world, fp) for fp in world.service.alert(item.fingerprint).alert.consequences}
    assert {
        f"{GZ_CORE} does not answer (region 440100)",
        f"{YUEXIU_ACC} does not answer (region 440104)",
        "gz-liwan runs on its backup link",
        "gz-yuexiu is cut off from the province core",
    } <= folded
    assert any(text.startswith("county link gz-liwan-primary") for text in folded)
    assert any(text.startswith("backbone link gz-dc1") for text in folded)
    # The API's filters: by region (and below), severity, labels.
    in_foshan = world.service.alerts(region="440600")
    assert [(a.rule, a.labels["link"]) for a in in_foshan] == [
        ("county-link-down", "fs-chancheng-backup")
    ]
    critical = world.service.alerts(severity=Severity.CRITICAL, region="440100")
    assert {a.rule for a in critical} == {
        "device-unreachable",
        "backbone-link-down",
        "site-isolated",
    }
    assert len(world.service.alerts(labels={"site": "gz-yuexiu"})) == 4

    world.recover()
    await world.run_until(720)
    assert world.service.alerts(status=AlertStatus.FIRING) == []
    after = world.sent("noc")[1:]
    assert [(m.reason, m.status) for _, m in after] == [
        (NotifyReason.RESOLVED, MessageStatus.RESOLVED)
    ]
    resolved = {(a.labels["alertname"], a.labels.get("device")) for a in after[0][1].alerts}
    assert ("site-isolated", GZ_CORE) in resolved


async def test_a_trap_makes_an_alert_and_its_clear_resolves_it(world: World) -> None:
    from core.events import TrapReceived

    await world.run_until(10)
    device, interface = world.toy.end_of("gz-liwan-primary", LIWAN_ACC)

    def trap(kind: str) -> TrapReceived:
        return TrapReceived(
            at=world.clock.now(),
            source_address="127.0.0.7",
            device_id=LIWAN_ACC,
            kind=kind,
            trap_oid="1.3.6.1.6.3.1.1.5.3" if kind == "linkDown" else "1.3.6.1.6.3.1.1.5.4",
            varbinds=(),
            version="v2c",
            if_index=1,
            if_name=interface,
        )

    # The bus is synchronous: a trap arrives on whatever thread published it.
    await asyncio.to_thread(world.toy.bus.publish, trap("linkDown"))
    report = (await world.run_until(20))[0]
    (fired,) = report.evaluation.of_kind(TransitionKind.FIRED)
    alert = world.service.alert(fired.fingerprint).alert
    assert alert.rule == "interface-down-trap"
    assert alert.labels["device"] == device
    assert alert.labels["link"] == "gz-liwan-primary"
    await world.run_until(60)
    world.toy.bus.publish(trap("linkUp"))
    await world.run_until(120)
    assert world.service.alert(fired.fingerprint).alert.status is AlertStatus.RESOLVED
    assert [(at, m.reason) for at, m in world.sent("noc")] == [
        (50.0, NotifyReason.NEW),
        (110.0, NotifyReason.RESOLVED),
    ]


async def test_escalation_pages_step_two_when_nobody_acknowledges(world: World) -> None:
    await world.run_until(10)
    world.fail_link("gz-liwan-primary")
    await world.run_until(80)  # county-link-down fires at 80 (down since 20, for 1m)
    assert world.alert("county-link-down", link="gz-liwan-primary") is AlertStatus.FIRING
    await world.run_until(80 + 20 * 60, every_s=60)

    pages = [(p.due_at - T0, p.user, p.step) for p in world.service.pages()]
    assert pages == [
        (timedelta(seconds=80), "wang", 1),
        (timedelta(seconds=80 + 15 * 60), "sun", 2),
    ]
    sms = world.sent("sun")
    assert [(at, m.reason, headline(m)[0]) for at, m in sms] == [
        (80.0 + 15 * 60, NotifyReason.ESCALATION, "county-link-down")
    ]


async def test_an_acknowledgement_stops_the_escalation(world: World) -> None:
    await world.run_until(10)
    world.fail_link("gz-liwan-primary")
    await world.run_until(80)
    await world.run_until(80 + 20 * 60, every_s=60)
    (cause,) = world.service.alerts(labels={"alertname": "county-link-down"})
    taken = world.service.acknowledge(cause.fingerprint, by="wang", note="on my way to Liwan")
    assert (taken.kind, taken.by, taken.note) == (
        TransitionKind.ACKNOWLEDGED,
        "wang",
        "on my way to Liwan",
    )
    await world.run_until(80 + 60 * 60, every_s=60)

    # Without the ack, round two would page wang again at 80 s + 30 min.
    assert [p.step for p in world.service.pages()] == [1, 2]
    (view,) = world.service.escalations()
    assert view.acknowledged
    history = world.service.alert(cause.fingerprint).history
    assert [t.kind for t in history][-1] is TransitionKind.ACKNOWLEDGED


async def test_the_service_runs_until_it_is_told_to_stop(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    cycled = asyncio.Event()
    cycle = world.service.cycle

    async def cycle_and_tell(now: datetime) -> CycleReport:
        report = await cycle(now)
        cycled.set()
        return report

    monkeypatch.setattr(world.service, "cycle", cycle_and_tell)
    world.toy.poll()
    stop = asyncio.Event()
    running = asyncio.create_task(world.service.run(stop))
    async with asyncio.timeout(10):
        await cycled.wait()
    stop.set()
    await running
    assert world.service.last_cycle is not None
    assert world.service.last_cycle.at == T0
    assert world.service.alerts() == []


async def test_a_trap_wakes_the_loop_at_once_instead_of_at_its_next_turn(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.events import TrapReceived

    cycles: asyncio.Queue[datetime] = asyncio.Queue()
    cycle = world.service.cycle

    async def cycle_and_tell(now: datetime) -> CycleReport:
        report = await cycle(now)
        cycles.put_nowait(now)
        return report

    monkeypatch.setattr(world.service, "cycle", cycle_and_tell)
    # The fixture's service cycles every few fake seconds; on the real loop that wait is a real
    # timeout, far longer than this test may take: only a wake-up can start the second cycle.
    monkeypatch.setattr(world.service, "_every_s", 3600.0)
    world.toy.poll()
    stop = asyncio.Event()
    running = asyncio.create_task(world.service.run(stop))
    try:
        async with asyncio.timeout(10):
            await cycles.get()  # the first turn
            trap = TrapReceived(
                at=world.clock.now(),
                source_address="127.0.0.7",
                device_id=LIWAN_ACC,
                kind="linkDown",
                trap_oid="1.3.6.1.6.3.1.1.5.3",
                varbinds=(),
                version="v2c",
                if_index=1,
            )
            await asyncio.to_thread(world.toy.bus.publish, trap)  # from another thread
            await cycles.get()  # woken, not an hour later
    finally:
        stop.set()
        await running
