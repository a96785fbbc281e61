"""A small county access switch of any platform, for a simulated device outside a province.

Tests that start one device (:mod:`lab.ssh.testing`) still want realistic outputs: the platform's
smallest access model, its two uplinks to two city nodes seen over LLDP, office ports in use, local
accounts and the secrets of a real configuration — all fixed by the hostname, like the lab's own.
"""

from __future__ import annotations

from pathlib import Path

from core.model import DeviceRole, LinkRole, Platform
from lab.accounts import ENABLE_PLATFORMS, device_accounts, device_secrets, lab_login
from lab.catalogue import MODELS, PortPool, model_named
from lab.interfaces import LinkEnd, build_interfaces
from lab.ip_plan import LINK_NETWORK, LinkAddress, with_addresses
from lab.model import LabDevice, LabNeighbour
from lab.seeded import seeded_hex
from lab.ssh.spec import SshBehaviour, SshDeviceSpec, SshLogin

SAMPLE_SEED = 1
# (name, platform, model, the port at its end) of the two city nodes the sample is homed on.
_UPLINK_PEERS = (
    ("LAB-CITY1", Platform.HUAWEI_VRP, "S5735-S24T4X", "XGigabitEthernet0/0/1"),
    ("LAB-CITY2", Platform.HP_COMWARE, "S5560X-30C-EI", "GigabitEthernet1/0/1"),
)
_GBPS = 1_000_000_000


def sample_device(platform: Platform, hostname: str, address: str) -> LabDevice:
    model = MODELS[(platform, DeviceRole.ACCESS)][0]
    uplinks = [name for g in model.ports if g.pool is PortPool.UPLINK for name in g.names()][:2]
    device_id = hostname.lower()
    tail = seeded_hex(SAMPLE_SEED, "mac", device_id)
    mac = f"{model.mac_oui}:{tail[0:2]}:{tail[2:4]}:{tail[4:6]}"
    ends: dict[str, LinkEnd] = {}
    neighbours: list[LabNeighbour] = []
    subnets = list(LINK_NETWORK.subnets(new_prefix=30))
    links: dict[str, LinkAddress] = {}
    for index, (port, (peer, peer_platform, peer_model, peer_port)) in enumerate(
        zip(uplinks, _UPLINK_PEERS, strict=True)
    ):
        link = f"{device_id}-uplink{index + 1}"
        role = LinkRole.PRIMARY if index == 0 else LinkRole.BACKUP
        ends[port] = LinkEnd(link, role, _GBPS, peer, peer_port, 120_000, 900_000)
        links[link] = LinkAddress(subnets[index], 2)
        peer_mac = model_named(peer_platform, peer_model).mac_oui + f":00:00:{index + 1:02x}"
        neighbours.append(
            LabNeighbour(
                interface=port,
                device=peer.lower(),
                remote_interface=peer_port,
                link=link,
                remote_name=peer,
                remote_mac=peer_mac,
                remote_address=f"10.0.1.{index + 1}",
                remote_platform=peer_platform,
                remote_model=peer_model,
                remote_port_description=f"to {hostname} {port} ({role})",
            )
        )
    interfaces = build_interfaces(model, DeviceRole.ACCESS, ends, mac, SAMPLE_SEED, device_id)
    login = lab_login(SAMPLE_SEED)
    prefix = {"huawei_vrp": "2102353", "hp_comware": "210235A", "cisco_ios": "FOC"}
    serial = prefix.get(platform.value, "21950") + seeded_hex(SAMPLE_SEED, "serial", device_id)
    return LabDevice(
        id=device_id,
        name=hostname,
        platform=platform,
        role=DeviceRole.ACCESS,
        region="440100",
        site=f"{device_id}-site",
        address=address,
        port=161,
        community=f"lab-{device_id}-{seeded_hex(SAMPLE_SEED, 'community', device_id)}",
        model=model.model,
        serial=serial.upper(),
        mac=mac,
        location="Guangdong lab bench",
        uptime_s=42 * 86_400 + 3_723,
        cpu_percent=12,
        memory_percent=41,
        interfaces=with_addresses(interfaces, model, address, links),
        neighbours=tuple(neighbours),
        accounts=device_accounts(platform, device_id, SAMPLE_SEED, login),
        secrets=device_secrets(device_id, SAMPLE_SEED, login, platform in ENABLE_PLATFORMS),
    )


def single_device_spec(
    platform: Platform,
    host: str,
    port: int,
    host_key_path: Path,
    *,
    hostname: str,
    username: str,
    password: str,
    enable_secret: str | None = None,
    outputs_dir: Path | None = None,
    lab_device: LabDevice | None = None,
    behaviour: SshBehaviour | None = None,
) -> SshDeviceSpec:
    """One device outside a province: a sample switch, a lab device given whole, recordings.

    The login lands at top privilege — or, with ``enable_secret`` on IOS and ZXROS, unprivileged
    until ``enable``. Without recordings or ``lab_device``, :func:`sample_device` answers.
    """
    device = lab_device
    if device is None and outputs_dir is None:
        device = sample_device(platform, hostname, host)
    privileged = enable_secret is None or platform not in ENABLE_PLATFORMS
    return SshDeviceSpec(
        platform=platform,
        host=host,
        port=port,
        hostname=hostname,
        logins=(SshLogin(username=username, password=password, privilege=15 if privileged else 1),),
        enable_secret=enable_secret,
        device=device,
        outputs_dir=outputs_dir,
        host_key_path=host_key_path,
        behaviour=behaviour or SshBehaviour(),
    )
