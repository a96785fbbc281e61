"""One small, fixed network state for API and console tests: the small inventory, polled once.

Everything is fixed (times, rates, identities) so console snapshots are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from api.deps import ApiServices, AuditSink, Authenticator, BackupNowHook
from core.clock import FakeClock, to_epoch_s
from core.inventory import load_inventory
from core.metrics import names
from core.metrics.store import MetricStore, Sample, SeriesKey
from core.model import DeviceIdentity
from core.polling import DevicePollRecord, InterfaceReading
from core.state.accounts import AccountRepository
from core.state.configs import ConfigRepository
from core.state.db import migrate_to_head, open_state_engine
from core.state.host_keys import HostKeyStore
from core.state.repository import StateRepository
from core.state.ssh_facts import SshFactsRepository
from tests.unit.api.auth_fakes import FakeAuditSink, FakeAuthenticator

DATA = Path(__file__).resolve().parents[2] / "data"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(seconds=30)
GBPS = 1_000_000_000


def port(
    index: int,
    name: str,
    speed_bps: int = GBPS,
    in_bps: float | None = None,
    out_bps: float | None = None,
    oper: str = "up",
    admin: str = "up",
    alias: str | None = None,
) -> InterfaceReading:
    return InterfaceReading(
        if_index=index,
        name=name,
        descr=name,
        alias=alias,
        if_type="ethernetCsmacd",
        speed_bps=speed_bps,
        admin_status=admin,
        oper_status=oper,
        in_bps=in_bps,
        out_bps=out_bps,
    )


POLLS = (
    DevicePollRecord(
        device_id="gd-dc1-core1",
        at=T0,
        reachable=True,
        identity=DeviceIdentity(
            vendor="Huawei",
            os="VRP",
            sys_name="GD-DC1-CORE1",
            hardware="NE40E-X8",
            version="V800R021C10",
            serial="2102351931P0K3000012",
        ),
        uptime_s=40 * 86400 + 3 * 3600,
        cpu_percent=23.5,
        memory_percent=41.0,
        duration_s=0.42,
        interfaces=(
            port(1, "GigabitEthernet0/0/1", in_bps=512e6, out_bps=128e6, alias="to GZ-CORE1"),
            port(2, "GigabitEthernet0/0/2", admin="down", oper="down"),
            port(3, "GigabitEthernet0/0/3", in_bps=2_400.0, out_bps=950.0, alias="mgmt"),
        ),
    ),
    DevicePollRecord(
        device_id="gz-core1",
        at=T0,
        reachable=True,
        identity=DeviceIdentity(vendor="H3C", os="Comware", hardware="S12508", version="7.1.070"),
        uptime_s=12 * 86400,
        cpu_percent=61.0,
        memory_percent=55.5,
        interfaces=(
            port(1, "Ten-GigabitEthernet1/0/1", 10 * GBPS, in_bps=2.4e9, out_bps=1.1e9),
            port(2, "GigabitEthernet1/0/2", oper="down", alias="to LIWAN"),
            port(3, "GigabitEthernet1/0/3", in_bps=45.2e6, out_bps=12.8e6, alias="to YUEXIU"),
        ),
    ),
    DevicePollRecord(
        device_id="gz-liwan-acc1", at=T0, reachable=False, error="no answer after 2 retries"
    ),
    DevicePollRecord(
        device_id="gz-yuexiu-acc1",
        at=T0,
        reachable=True,
        identity=DeviceIdentity(vendor="Cisco", os="IOS", hardware="C2960X", version="15.2(7)E"),
        uptime_s=3 * 3600 + 25 * 60,
        cpu_percent=7.0,
        memory_percent=30.0,
        interfaces=(
            port(1, "GigabitEthernet0/1", in_bps=8.5e6, out_bps=950e3, alias="uplink"),
            port(2, "GigabitEthernet0/2", oper="down"),
        ),
    ),
)


def open_state(tmp_path: Path) -> tuple[Engine, StateRepository]:
    """A migrated state DB on a file in ``tmp_path`` with the small inventory and its polls."""
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    state = StateRepository(engine)
    state.sync_inventory(load_inventory(DATA / "small_inventory.yaml"))
    state.record_polls(POLLS)
    return engine, state


def cpu_key(device: str, region: str) -> SeriesKey:
    return SeriesKey.of(names.DEVICE_CPU_PERCENT, {"device": device, "region": region})


def in_bps_key(device: str, if_index: int, if_name: str) -> SeriesKey:
    return SeriesKey.of(
        names.INTERFACE_IN_BPS, {"device": device, "if_index": str(if_index), "if_name": if_name}
    )


def fill_metrics(store: MetricStore) -> None:
    """Ten minutes of one-minute samples before T0 for two devices and one interface."""
    samples = []
    for minute in range(10):
        ts = to_epoch_s(T0) - (10 - minute) * 60
        samples.append(Sample(cpu_key("gd-dc1-core1", "440000"), ts, 20.0 + minute))
        samples.append(Sample(cpu_key("gz-core1", "440100"), ts, 60.0))
        samples.append(Sample(in_bps_key("gz-core1", 3, "GigabitEthernet1/0/3"), ts, 45.2e6))
    store.write(samples)


@dataclass(frozen=True)
class SshStores:
    """The stores the SSH collectors fill, over one state DB."""

    configs: ConfigRepository
    accounts: AccountRepository
    ssh_facts: SshFactsRepository
    host_keys: HostKeyStore
    engine: Engine


def open_stores(engine: Engine) -> SshStores:
    """Empty stores over ``engine`` (:mod:`tests.unit.api.ssh_scenario` fills them)."""
    clock = FakeClock(NOW)
    return SshStores(
        configs=ConfigRepository(engine, clock),
        accounts=AccountRepository(engine),
        ssh_facts=SshFactsRepository(engine),
        host_keys=HostKeyStore(engine, clock),
        engine=engine,
    )


def services(
    state: StateRepository,
    metrics: MetricStore,
    stores: SshStores,
    backup_now: BackupNowHook | None = None,
    audit: AuditSink | None = None,
    auth: Authenticator | None = None,
) -> ApiServices:
    """Services whose authenticator knows :data:`~tests.unit.api.auth_fakes.ADMIN_TOKEN`."""
    return ApiServices(
        state=state,
        metrics=metrics,
        clock=FakeClock(NOW),
        version="9.9.9-test",
        configs=stores.configs,
        accounts=stores.accounts,
        ssh_facts=stores.ssh_facts,
        host_keys=stores.host_keys,
        auth=auth or FakeAuthenticator(),
        audit=audit if audit is not None else FakeAuditSink(),
        backup_now=backup_now,
    )
