"""What the SSH collectors would have stored for the small inventory, written through the
repositories' own methods, with fixed times (snapshots depend on them).

Backups at NOW (T0 + 30 s), against a 24-hour limit:

- gz-core1: three versions (10 days, 2 days, 1 hour old); fresh.
- gd-dc1-core1: one version 3 days old, then a failed attempt 30 minutes ago; stale and failing.
- gz-yuexiu-acc1: one version 30 hours old; stale.
- gz-liwan-acc1: never tried; stale (worst).
"""

from __future__ import annotations

import base64
from datetime import timedelta

from core.clock import FakeClock
from core.model import Platform
from core.state.host_keys import HostKeyStore
from core.state.ssh_views import AccountOrigin, LocalAccount, SshFacts
from tests.unit.api.scenario import T0, SshStores

CORE_V1 = """\
#
 version 7.1.070, Release 7585P05
#
 sysname GZ-CORE1
#
 clock timezone Beijing add 08:00:00
#
vlan 1
#
vlan 100
 description mgmt
#
interface GigabitEthernet1/0/2
 description to LIWAN
 port link-type trunk
 port trunk permit vlan 1 100
#
interface GigabitEthernet1/0/3
 description to YUEXIU
 port link-type trunk
 port trunk permit vlan 1 100
#
 snmp-agent community read cipher ******
#
return
"""

# 社保 (social insurance) gets its own VLAN on both county trunks.
CORE_V2 = CORE_V1.replace(
    "vlan 100\n description mgmt\n#\n",
    "vlan 100\n description mgmt\n#\nvlan 200\n description shebao\n#\n",
).replace("port trunk permit vlan 1 100\n", "port trunk permit vlan 1 100 200\n")

# The yuexiu trunk drops VLAN 1; NTP arrives.
CORE_V3 = CORE_V2.replace(
    " description to YUEXIU\n port link-type trunk\n port trunk permit vlan 1 100 200\n",
    " description to YUEXIU\n port link-type trunk\n port trunk permit vlan 100 200\n",
).replace(
    "#\nreturn\n", "#\n ntp-service enable\n ntp-service unicast-server 10.44.0.1\n#\nreturn\n"
)

DC1_V1 = """\
!Software Version V800R021C10
#
sysname GD-DC1-CORE1
#
interface GigabitEthernet0/0/1
 description to GZ-CORE1
 ip address 10.44.0.1 255.255.255.252
#
return
"""

YUEXIU_V1 = """\
Building configuration...

Current configuration : 1024 bytes
!
hostname GZ-YUEXIU-ACC1
!
interface GigabitEthernet0/1
 description uplink
 switchport mode trunk
!
end
"""

KEY_CORE = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b"C" * 32).decode()
LOGIN_FAILED = "authentication failed: admin@127.0.0.11:22"
PINNED_AT = T0 - timedelta(days=40)


def fill_configs(stores: SshStores) -> None:
    configs = stores.configs
    comware = Platform.HP_COMWARE
    configs.store("gz-core1", CORE_V1, collected_at=T0 - timedelta(days=10), platform=comware)
    configs.store(
        "gz-core1",
        CORE_V2,
        collected_at=T0 - timedelta(days=2),
        changed_by="zhangwei",
        changed_at=T0 - timedelta(days=2, minutes=20),
        platform=comware,
    )
    configs.store(
        "gz-core1",
        CORE_V3,
        collected_at=T0 - timedelta(hours=1),
        changed_by="liming",
        changed_at=T0 - timedelta(hours=1, minutes=5),
        platform=comware,
    )
    configs.store(
        "gd-dc1-core1", DC1_V1, collected_at=T0 - timedelta(days=3), platform=Platform.HUAWEI_VRP
    )
    configs.record_failure("gd-dc1-core1", T0 - timedelta(minutes=30), LOGIN_FAILED)
    configs.store(
        "gz-yuexiu-acc1",
        YUEXIU_V1,
        collected_at=T0 - timedelta(hours=30),
        platform=Platform.CISCO_IOS,
    )


def account(name: str, origin: AccountOrigin, **fields: object) -> LocalAccount:
    return LocalAccount.model_validate({"name": name, "origin": origin, **fields})


def fill_accounts(stores: SshStores) -> None:
    collected = T0 - timedelta(hours=1)
    changed = T0 - timedelta(days=200)
    local_user = AccountOrigin.LOCAL_USER
    stores.accounts.replace(
        "gz-core1",
        [
            account(
                "admin",
                local_user,
                privilege="network-admin",
                password_type="hash",
                password_changed_at=changed,
                state="active",
                service_types=("ssh", "terminal"),
            ),
            account(
                "noc-ro",
                local_user,
                privilege="network-operator",
                password_type="hash",
                password_changed_at=T0 - timedelta(days=30),
                state="active",
                service_types=("ssh",),
            ),
            account(
                "test",
                local_user,
                privilege="network-operator",
                password_type="simple",
                state="blocked",
                service_types=("telnet",),
            ),
            account(
                "zhangwei",
                local_user,
                privilege="network-admin",
                password_type="hash",
                password_changed_at=T0 - timedelta(days=2),
                state="active",
                service_types=("ssh",),
            ),
        ],
        collected,
    )
    stores.accounts.replace(
        "gd-dc1-core1",
        [
            account(
                "admin",
                local_user,
                privilege="15",
                password_type="irreversible-cipher",
                state="active",
                service_types=("ssh",),
            ),
            account("noc", local_user, privilege="1", password_type="irreversible-cipher"),
        ],
        T0 - timedelta(days=3),
    )
    stores.accounts.replace(
        "gz-yuexiu-acc1",
        [
            account("admin", AccountOrigin.USERNAME, privilege="15", password_type="scrypt"),
            account("backup", AccountOrigin.USERNAME, privilege="1", password_type="type7"),
        ],
        T0 - timedelta(hours=30),
    )


def fill_ssh_facts(stores: SshStores) -> None:
    stores.ssh_facts.record_success(
        "gz-core1",
        SshFacts(
            hostname="GZ-CORE1",
            vendor="H3C",
            os_version="7.1.070, Release 7585P05",
            model="S12508",
            uptime="12 weeks, 0 days, 3 hours",
            details={"lldp_neighbours": 2},
        ),
        T0 - timedelta(hours=1),
    )
    stores.ssh_facts.record_failure("gd-dc1-core1", LOGIN_FAILED, T0 - timedelta(minutes=30))
    # Pinned by the first connection, long before now (the stores' own clock is at NOW).
    first_connection = HostKeyStore(stores.engine, FakeClock(PINNED_AT))
    first_connection.check("127.0.0.12:22", "ssh-ed25519", KEY_CORE, device_id="gz-core1")


def fill_ssh_state(stores: SshStores) -> SshStores:
    fill_configs(stores)
    fill_accounts(stores)
    fill_ssh_facts(stores)
    return stores
