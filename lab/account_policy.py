"""The lab's approved-accounts policy, its NOC users, and the violations the lab planted.

``lab up`` writes ``<data_dir>/lab/account-policy.yaml`` (:func:`write_account_policy`): the
policy a provincial security officer would keep for the simulated province. It approves what
belongs on the devices and hosts —

- ``noc``, the NOC's read-only login, on every router and switch (no owner: a service account);
- ``admin``, the site administrator, per city, owned by that city's network engineer, and on the
  provincial data centres' devices owned by the province's NOC administrator;
- on the Linux hosts, ``root`` (the collectors' login, by the lab's key) and the system accounts
  a Debian service host carries (unprivileged only);

— and so leaves unapproved what the lab put there to be found (:mod:`lab.accounts`): the vendors'
maintenance accounts and the stale shared accounts. It also *lends* one county device's
``admin`` to the engineer of another city: an owner with no role where the account is.

:func:`planted_violations` lists, as data, every finding the permission audit must report on the
routers and switches once the collectors have read them — worked out from what the lab rendered
into each device's configuration, not by running the audit. The Linux hosts are this machine,
whose accounts the lab does not plant: findings there (an interactive user the image was built
with, say) are real, and not listed.

:func:`lab_noc_users` are the NOC users the lab's policy names; ``lab up`` creates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from core.model import Platform, RegionLevel
from core.security.account_policy import (
    AccountPolicy,
    AccountWhere,
    ApprovedAccount,
    load_account_policy,
)
from core.security.permissions import Role
from core.state.accounts import PRIVILEGED_LEVELS
from lab.model import AccountRole, LabAccount, LabDevice, Province
from lab.ssh.configs.comware import user_role

ACCOUNT_POLICY_FILE = "account-policy.yaml"
NETWORK_PLATFORMS = (
    Platform.HUAWEI_VRP,
    Platform.HP_COMWARE,
    Platform.CISCO_IOS,
    Platform.ZTE_ZXROS,
)
GENERIC_NAMES = ("test", "temp", "admin123", "guest", "user", "operator", "support")
"""The lab's site administrators are all called ``admin``, each owned per city by the policy, so
``admin`` itself is not on this list; the stale shared names are."""
WEAK_PASSWORD_TYPES = ("plaintext", "cipher", "type7", "md5", "none", "empty", "des")
STALE_PASSWORD_DAYS = 180
HOST_SYSTEM_ACCOUNTS = (
    "daemon",
    "bin",
    "sys",
    "sync",
    "games",
    "man",
    "lp",
    "mail",
    "news",
    "uucp",
    "proxy",
    "www-data",
    "backup",
    "list",
    "irc",
    "gnats",
    "_apt",
    "nobody",
    "systemd-network",
    "systemd-resolve",
    "systemd-timesync",
    "systemd-coredump",
    "messagebus",
    "polkitd",
    "sshd",
    "uuidd",
    "tss",
    "Debian-snmp",
    "postgres",
)
"""Accounts Debian and the business services' packages create on a service host."""

# What the collectors will read from each platform's configuration, as the lab renders it
# (lab.ssh.configs): how the password is kept, by platform and (IOS) hash kind.
_PASSWORD_TYPE_BY_PLATFORM = {
    Platform.CISCO_IOS: "scrypt",
    Platform.HUAWEI_VRP: "irreversible-cipher",
    Platform.HP_COMWARE: "hash",
    Platform.ZTE_ZXROS: "encrypted",
}
_PASSWORD_TYPE_BY_HASH_KIND = {
    "9": "scrypt",  # IOS secret 9
    "5": "md5",  # IOS secret 5
    "7": "type7",  # IOS password 7
    "0": "plaintext",  # IOS password 0
    "simple": "plaintext",  # VRP / Comware `password simple`
    "cipher": "cipher",  # VRP / Comware reversible `password cipher`
}
"""A hash kind the lab gives an account overrides its platform's usual way."""

PlantedViolation = tuple[str, str, str]
"""(finding kind, device id, account name)."""


@dataclass(frozen=True, slots=True)
class LabNocUser:
    """A NOC user of the lab and the one role they hold."""

    username: str
    display_name: str
    role: Role
    scope_code: str


@dataclass(frozen=True, slots=True)
class LentAccount:
    """The one site administrator account the lab lends to another city's engineer."""

    device_id: str
    account: str
    owner: str


def lab_noc_users(province: Province) -> tuple[LabNocUser, ...]:
    """The province's NOC administrator, security officer and on-call engineer, one network
    engineer per city (``eng.<city slug>``), and a field technician of the first county of each
    city (``tech.<county slug>``) — one of every kind of person the NOC serves."""
    province_code = _province_code(province)
    users = [
        LabNocUser("liang.hua", "Liang Hua", Role.ADMIN, province_code),
        LabNocUser("chen.jing", "Chen Jing", Role.SECURITY_OFFICER, province_code),
        LabNocUser("wu.gang", "Wu Gang", Role.ONCALL, province_code),
    ]
    users += [
        LabNocUser(_engineer(slug), f"{name} network engineer", Role.NETWORK_ENGINEER, code)
        for code, slug, name in _cities(province)
    ]
    users += [
        LabNocUser(f"tech.{slug}", f"{name} field technician", Role.FIELD_TECHNICIAN, code)
        for code, slug, name in _first_counties(province)
    ]
    return tuple(users)


def _first_counties(province: Province) -> list[tuple[str, str, str]]:
    """(code, slug, name) of the first county, by code, of every city that has one."""
    first: dict[str, tuple[str, str, str]] = {}
    for region in sorted(province.regions, key=lambda r: r.code):
        if region.level is RegionLevel.COUNTY and region.parent not in first:
            first[region.parent or ""] = (region.code, region.slug or region.code, region.name)
    return [first[city] for city in sorted(first)]


def lab_owner_scopes(province: Province) -> dict[str, frozenset[str]]:
    """NOC user → the scope codes where they hold a role (the audit's ``owner_scopes``)."""
    scopes: dict[str, set[str]] = {}
    for user in lab_noc_users(province):
        scopes.setdefault(user.username, set()).add(user.scope_code)
    return {name: frozenset(codes) for name, codes in scopes.items()}


def lent_account(province: Province) -> LentAccount | None:
    """The first county router or switch's ``admin``, lent to the next city's engineer (None in a
    province of one city: there is nobody to lend it to)."""
    cities = _cities(province)
    parents = {r.code: r.parent for r in province.regions if r.level is RegionLevel.COUNTY}
    for device in province.devices:
        city = parents.get(device.region)
        if not device.is_network_device or city is None:
            continue
        if not any(a.role is AccountRole.ADMIN for a in device.accounts):
            continue
        others = [c for c in cities if c[0] != city]
        after = [c for c in others if c[0] > city] or others
        if not after:
            return None
        _, slug, _ = after[0]
        admin = next(a for a in device.accounts if a.role is AccountRole.ADMIN)
        return LentAccount(device.id, admin.name, _engineer(slug))
    return None


def lab_account_policy(province: Province) -> AccountPolicy:
    """The policy described in the module docstring."""
    province_code = _province_code(province)
    network = AccountWhere(platforms=NETWORK_PLATFORMS, regions=(province_code,))
    entries: list[ApprovedAccount] = []
    lent = lent_account(province)
    if lent is not None:
        # First: the file is read in order, and this one device is an exception to its city.
        entries.append(
            ApprovedAccount(
                name=lent.account,
                owner=lent.owner,
                purpose="site administrator, lent for a cut-over and never handed back",
                where=AccountWhere(devices=(lent.device_id,)),
                max_privilege="15",
            )
        )
    entries.append(
        ApprovedAccount(
            name="noc",
            purpose="the NOC's collectors (read-only login)",
            where=network,
            max_privilege="3",
        )
    )
    entries += [
        ApprovedAccount(
            name="admin",
            owner=_engineer(slug),
            purpose=f"site administrator, {name}",
            where=AccountWhere(platforms=NETWORK_PLATFORMS, regions=(code,)),
            max_privilege="15",
        )
        for code, slug, name in _cities(province)
    ]
    entries.append(
        ApprovedAccount(
            name="admin",
            owner="liang.hua",
            purpose="site administrator, provincial data centres",
            where=network,
            max_privilege="15",
        )
    )
    hosts = AccountWhere(platforms=(Platform.LINUX,))
    entries.append(
        ApprovedAccount(
            name="root",
            purpose="superuser; the NOC's collectors log in with the lab's key",
            where=hosts,
            max_privilege="root",
        )
    )
    entries += [
        ApprovedAccount(name=name, purpose="system account", where=hosts, max_privilege="user")
        for name in HOST_SYSTEM_ACCOUNTS
    ]
    return AccountPolicy(
        generic_names=GENERIC_NAMES,
        stale_password_days=STALE_PASSWORD_DAYS,
        weak_password_types=WEAK_PASSWORD_TYPES,
        accounts=tuple(entries),
    )


def write_account_policy(lab_dir: Path, province: Province) -> Path:
    """``<lab_dir>/account-policy.yaml``, read back by the NOC's own loader before returning."""
    path = lab_dir / ACCOUNT_POLICY_FILE
    policy = lab_account_policy(province)
    entries = policy.model_dump(mode="json", exclude_defaults=True)["accounts"]
    document = {
        "generic_names": list(policy.generic_names),
        "stale_password_days": policy.stale_password_days,
        "weak_password_types": list(policy.weak_password_types),
        "accounts": entries,
    }
    header = (
        f"# Approved local accounts of the simulated province (seed {province.seed}), written by\n"
        "# `ssnoc lab up`. Vendor maintenance accounts and stale shared accounts are left out\n"
        "# on purpose: the permission audit must find them.\n"
    )
    text = yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, width=100, default_flow_style=None
    )
    path.write_text(header + text, encoding="utf-8")
    load_account_policy(path)  # raises if the NOC could not read what we wrote
    return path


def planted_violations(province: Province) -> set[PlantedViolation]:
    """Every finding the audit must report on the routers and switches, no more, no fewer.

    - a vendor maintenance account: ``unknown_account``, and ``privileged_not_in_policy`` (the
      vendors leave them at top privilege); ``weak_password_type`` where IOS keeps it as MD5;
    - a stale shared account: ``unknown_account`` and ``generic_name``, plus
      ``privileged_not_in_policy`` unless the device shows it read-only (Comware's
      network-operator), plus ``weak_password_type`` where IOS keeps it as type 7;
    - the lent ``admin``: ``owner_out_of_region``.
    """
    lent = lent_account(province)
    found: set[PlantedViolation] = set()
    for device in province.devices:
        if not device.is_network_device:
            continue
        for account in device.accounts:
            kinds = _planted_kinds(device, account)
            if lent is not None and (device.id, account.name) == (lent.device_id, lent.account):
                kinds.append("owner_out_of_region")
            found.update((kind, device.id, account.name) for kind in kinds)
    return found


def _planted_kinds(device: LabDevice, account: LabAccount) -> list[str]:
    kinds: list[str] = []
    privileged = stored_privilege(device.platform, account) in PRIVILEGED_LEVELS
    if account.role in (AccountRole.VENDOR, AccountRole.STALE):
        kinds.append("unknown_account")
        if privileged:
            kinds.append("privileged_not_in_policy")
    if account.role is AccountRole.STALE:
        kinds.append("generic_name")
    if stored_password_type(device.platform, account) in WEAK_PASSWORD_TYPES:
        kinds.append("weak_password_type")
    return kinds


def stored_privilege(platform: Platform, account: LabAccount) -> str:
    """The privilege the collectors read from the configuration the lab renders."""
    if platform is Platform.HP_COMWARE:
        return user_role(account)
    return str(account.privilege)


def stored_password_type(platform: Platform, account: LabAccount) -> str:
    """How the collectors will say the rendered configuration keeps the password."""
    if account.hash_kind in _PASSWORD_TYPE_BY_HASH_KIND:
        return _PASSWORD_TYPE_BY_HASH_KIND[account.hash_kind]
    return _PASSWORD_TYPE_BY_PLATFORM[platform]


def _province_code(province: Province) -> str:
    return next(r.code for r in province.regions if r.level is RegionLevel.PROVINCE)


def _cities(province: Province) -> list[tuple[str, str, str]]:
    """(code, slug, name) of every city, by code."""
    return sorted(
        (r.code, r.slug or r.code, r.name) for r in province.regions if r.level is RegionLevel.CITY
    )


def _engineer(slug: str) -> str:
    return f"eng.{slug}"
