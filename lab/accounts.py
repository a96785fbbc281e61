"""Local accounts and configuration secrets of the simulated routers and switches, by seed.

Every device carries what a real one in a provincial network does: the site's administrator at
top privilege, the NOC's read-only account (the collectors' login, the same password everywhere:
the lab-network credential), the maintenance account the vendor's engineers left behind with a
vendor-default-looking password, and — on some devices — a stale shared account ("test",
"admin123") that an audit should flag. The stale account is as old as it looks: on IOS its
password is a reversible type 7; on VRP and Comware it was set with ``password simple`` on an
older release, which keeps it in clear, and carried over — a weak password type for the audit.
The other secrets (SNMP write community, SNMPv3 keys, AAA and NTP keys, an IKE pre-shared key,
Cisco's enable secret) are here in clear, so a test can check that a scrubbed configuration holds
none of them.
"""

from __future__ import annotations

import random
import string

from core.model import Platform
from lab.model import AccountRole, LabAccount, LabLogin, LabSecrets
from lab.seeded import seeded_rng

NOC_USERNAME = "noc"
SNMPV3_USER = "nocv3"
# The maintenance account each vendor's installers create, and the kind of password they leave.
_VENDOR_ACCOUNT: dict[Platform, tuple[str, tuple[str, ...]]] = {
    Platform.HUAWEI_VRP: ("huawei", ("Admin@huawei.com", "Huawei@123", "Changeme_123")),
    Platform.HP_COMWARE: ("h3c", ("h3capadmin", "H3C@admin123", "H3c@2018")),
    Platform.CISCO_IOS: ("cisco", ("Cisco123!", "Cisco@2017", "C1sco12345")),
    Platform.ZTE_ZXROS: ("zte", ("Zte@1234", "Zte_admin1", "ZXR10@zte")),
}
_STALE_ACCOUNTS = (("test", "test123"), ("admin123", "Admin@123"), ("temp", "Temp@2019"))
# A password never equals its user's name: a scrubbed configuration keeps the names.
_STALE_SHARE = 0.4
"""About two devices in five still carry a stale shared account."""
_STALE_HASH_KIND = {
    Platform.CISCO_IOS: "7",
    Platform.HUAWEI_VRP: "simple",
    Platform.HP_COMWARE: "simple",
}
"""How the configuration keeps a stale account's password: IOS ``password 7``, VRP and Comware
``password simple`` (in clear). ZXROS encrypts every user's password the same way."""
# Privilege levels: VRP's management level is 3; IOS and ZXROS count to 15. Comware has roles
# (lab.ssh.configs maps the privilege to network-admin / network-operator).
ENABLE_PLATFORMS = (Platform.CISCO_IOS, Platform.ZTE_ZXROS)
"""Where the NOC's account logs in unprivileged and needs ``enable`` with the lab's secret."""
_NOC_PRIVILEGE = {
    Platform.HUAWEI_VRP: 3,
    Platform.HP_COMWARE: 1,
    Platform.CISCO_IOS: 1,
    Platform.ZTE_ZXROS: 1,
}
_PASSWORD_ALPHABET = string.ascii_letters + string.digits
_PASSWORD_SYMBOLS = "@#%^*_-+="  # noqa: S105 - an alphabet, not a password


def lab_login(seed: int) -> LabLogin:
    """The NOC's login on every simulated device, and IOS's enable secret, for this lab."""
    rng = seeded_rng(seed, "ssh-login")
    return LabLogin(
        username=NOC_USERNAME, password=_password(rng, 14), enable_secret=_password(rng, 12)
    )


def device_accounts(
    platform: Platform, device_id: str, seed: int, login: LabLogin
) -> tuple[LabAccount, ...]:
    """The device's local accounts, as the module docstring describes, the same for the seed."""
    rng = seeded_rng(seed, "accounts", device_id)
    vendor_name, vendor_passwords = _VENDOR_ACCOUNT[platform]
    ios = platform is Platform.CISCO_IOS
    accounts = [
        LabAccount(
            name="admin",
            role=AccountRole.ADMIN,
            privilege=15,
            password=_password(rng, 16),
            services=("ssh", "terminal"),
            hash_kind="9" if ios else "",
        ),
        LabAccount(
            name=login.username,
            role=AccountRole.NOC,
            privilege=_NOC_PRIVILEGE[platform],
            password=login.password,
            services=("ssh",),
            hash_kind="9" if ios else "",
        ),
        LabAccount(
            name=vendor_name,
            role=AccountRole.VENDOR,
            privilege=15,
            password=rng.choice(vendor_passwords),
            services=("ssh", "telnet", "ftp"),
            hash_kind="5" if ios else "",
        ),
    ]
    if rng.random() < _STALE_SHARE:
        name, password = rng.choice(_STALE_ACCOUNTS)
        accounts.append(
            LabAccount(
                name=name,
                role=AccountRole.STALE,
                privilege=rng.choice((3, 15)) if not ios else 15,
                password=password,
                services=("telnet", "ssh"),
                hash_kind=_STALE_HASH_KIND.get(platform, ""),
            )
        )
    return tuple(accounts)


def device_secrets(device_id: str, seed: int, login: LabLogin, enable_secret: bool) -> LabSecrets:
    rng = seeded_rng(seed, "secrets", device_id)
    return LabSecrets(
        snmp_write_community=f"rw-{_password(rng, 10, symbols=False)}",
        snmpv3_user=SNMPV3_USER,
        snmpv3_auth_key=_password(rng, 16),
        snmpv3_priv_key=_password(rng, 16),
        aaa_shared_key=_password(rng, 18),
        ntp_key=_password(rng, 12, symbols=False),
        ike_pre_shared_key=_password(rng, 20),
        enable_secret=login.enable_secret if enable_secret else None,
    )


def _password(rng: random.Random, length: int, symbols: bool = True) -> str:
    """Mixed letters and digits with a symbol or two, as password policies ask."""
    chars = [rng.choice(_PASSWORD_ALPHABET) for _ in range(length)]
    chars[0] = rng.choice(string.ascii_uppercase)
    chars[-1] = rng.choice(string.digits)
    if symbols:
        chars[rng.randrange(1, length - 1)] = rng.choice(_PASSWORD_SYMBOLS)
    return "".join(chars)
