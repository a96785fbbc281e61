"""The approved-accounts policy: which local accounts may exist on which devices and hosts.

A security officer keeps one YAML file; :func:`load_account_policy` reads it, and every error
names the file, the line and the field (``policy.yaml:14: field 'accounts[2].where.regions[0]':
…``). The permission audit (:mod:`core.security.account_audit`) holds the collected accounts
against it. Its shape::

    generic_names: [admin123, test, temp, guest, user, operator]
    # Shared names nobody can be held to: flagged wherever they appear (compared ignoring case).
    stale_password_days: 180
    # A password unchanged for longer is stale (only where the source says when it changed).
    weak_password_types: [plaintext, cipher, type7, md5, none, empty, des]
    # Password kinds, as the collectors report them, that are readable or cheap to crack:
    # plaintext (VRP/Comware `simple`, IOS type 0, ZXROS clear), cipher (VRP/Comware reversible
    # `cipher`), type7 (IOS `password 7`), md5 (IOS secret 5, Linux $1$), none (IOS
    # `nopassword`), empty (Linux: no password at all), des (Linux crypt(3) DES).
    accounts:
      - name: noc                 # the account name on the device or host, exactly
        owner: null               # the NOC user answerable for it; null for a service account
        purpose: NOC collectors (read-only)
        where: {platforms: [huawei_vrp, hp_comware, cisco_ios, zte_zxros], regions: ["440000"]}
        max_privilege: "3"
      - name: admin
        owner: zhang.wei
        purpose: site administrator, Guangzhou
        where: {regions: ["440100"], devices: ["gz-*"]}
        max_privilege: "15"

``where`` narrows an entry; every criterion given must hold, a criterion left out holds
everywhere (an entry without ``where`` approves the name on every device and host):

- ``platforms``: the device's platform is one of these;
- ``regions``: one of these region codes covers the device's region (a province code covers
  the whole province, a city code the city and its counties — :func:`core.security.scope.
  scope_covers`);
- ``devices``: the device's id or its name matches one of these shell-style globs (``gz-*``).

``max_privilege`` is the highest privilege the entry allows. Network devices count levels 0–15
(IOS, VRP, ZXROS; Comware 5's ``level-N`` is N) and compare as numbers; Comware 7's roles count
as ``network-operator`` = 1 and ``network-admin`` = 15. Hosts count ``user`` < ``sudo`` <
``root``. A device level and a host word never compare: an account whose privilege the entry's
scale cannot place is *not* within it.

Entries are read in file order, as firewall rules are: an account is held to the first entry
that matches its name and device and allows its privilege, or else to the first that matches
its name and device (see :func:`matching_entry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from core.model import Platform
from core.security.scope import is_region_code, scope_covers
from core.yaml_source import load_located_yaml

DEVICE_SCALE = "device"
HOST_SCALE = "host"
_DEVICE_WORDS = {"network-operator": 1, "network-admin": 15}
_HOST_WORDS = {"user": 0, "sudo": 1, "root": 2}
MAX_DEVICE_LEVEL = 15


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the policy and the audit need to know about a device or host."""

    region_code: str
    platform: Platform
    name: str


def _as_text(value: Any) -> Any:
    """YAML reads ``3`` and ``440100`` as numbers; the policy means the words."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _region_code(value: str) -> str:
    if not is_region_code(value):
        raise ValueError("must be a six-digit region code such as 440100")
    return value


RegionCode = Annotated[str, BeforeValidator(_as_text), AfterValidator(_region_code)]
PrivilegeWord = Annotated[str, BeforeValidator(_as_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountWhere(_Strict):
    """Where an approved account may exist; each criterion given must hold."""

    platforms: tuple[Platform, ...] = ()
    """Platforms it may exist on (none given: any platform)."""
    regions: tuple[RegionCode, ...] = ()
    """Region codes whose area it may exist in (none given: anywhere)."""
    devices: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    """Globs on the device id or name (none given: any device)."""

    def covers(self, device_id: str, device: DeviceInfo | None) -> bool:
        """True when the device (``None``: not in the inventory) lies where this says.

        A device the inventory does not know matches only an unrestricted ``where`` or one that
        names it by id: its platform and region are unknown.
        """
        if self.devices and not any(
            fnmatchcase(device_id, glob) or (device is not None and fnmatchcase(device.name, glob))
            for glob in self.devices
        ):
            return False
        if self.platforms and (device is None or device.platform not in self.platforms):
            return False
        return not self.regions or (
            device is not None
            and is_region_code(device.region_code)
            and any(scope_covers(code, device.region_code) for code in self.regions)
        )


class ApprovedAccount(_Strict):
    """One approved local account."""

    name: str = Field(min_length=1)
    """The account's name on the device or host, exactly (case matters, as on the devices)."""
    owner: str | None = None
    """The NOC user answerable for the account; ``None`` for a service account."""
    purpose: str = ""
    """Why it exists, for the reviewer."""
    where: AccountWhere = AccountWhere()
    max_privilege: PrivilegeWord
    """The highest privilege allowed (see the module docstring for the two scales)."""

    @field_validator("max_privilege")
    @classmethod
    def _known_privilege(cls, value: str) -> str:
        if privilege_rank(value) is None:
            raise ValueError(
                "must be a level 0-15, network-operator, network-admin, level-N, user, sudo or root"
            )
        return value

    @field_validator("owner")
    @classmethod
    def _owner_named(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("name a NOC user, or write null for a service account")
        return value

    def applies_to(self, account_name: str, device_id: str, device: DeviceInfo | None) -> bool:
        """This entry names the account and its device lies where the entry allows."""
        return account_name == self.name and self.where.covers(device_id, device)

    def allows(self, privilege: str | None) -> bool:
        """The account's privilege is within :attr:`max_privilege` (see :func:`within`)."""
        return within(self.max_privilege, privilege)


class AccountPolicy(_Strict):
    """The whole policy file."""

    generic_names: tuple[str, ...] = ()
    """Shared or generic names (``test``, ``admin123``…) flagged wherever they appear."""
    stale_password_days: int = Field(default=180, ge=1, le=36500)
    """Days after which an unchanged password is stale."""
    weak_password_types: tuple[str, ...] = ()
    """Password kinds (as the collectors name them) that count as weak."""
    accounts: tuple[ApprovedAccount, ...] = ()
    """The approved accounts, in the order they are tried."""

    def is_generic(self, name: str) -> bool:
        wanted = name.casefold()
        return any(generic.casefold() == wanted for generic in self.generic_names)

    def is_weak(self, password_type: str | None) -> bool:
        if password_type is None:
            return False
        wanted = password_type.casefold()
        return any(weak.casefold() == wanted for weak in self.weak_password_types)


def privilege_rank(value: str | None) -> tuple[str, int] | None:
    """(scale, rank) of a privilege word, or ``None`` when it cannot be placed.

    ``"15"`` → (device, 15); ``"level-3"`` → (device, 3); ``"network-admin"`` → (device, 15);
    ``"sudo"`` → (host, 1).
    """
    if value is None:
        return None
    word = value.strip().lower()
    if word.startswith("level-"):
        word = word[len("level-") :]
    if word.isdigit():
        level = int(word)
        return (DEVICE_SCALE, level) if level <= MAX_DEVICE_LEVEL else None
    if word in _DEVICE_WORDS:
        return DEVICE_SCALE, _DEVICE_WORDS[word]
    if word in _HOST_WORDS:
        return HOST_SCALE, _HOST_WORDS[word]
    return None


def within(max_privilege: str, privilege: str | None) -> bool:
    """True when ``privilege`` is at most ``max_privilege`` on the same scale.

    An account without a privilege (the source did not say) is within any entry; one whose
    privilege is on the other scale, or unknown (a custom Comware role), is within none.
    """
    if privilege is None:
        return True
    limit, have = privilege_rank(max_privilege), privilege_rank(privilege)
    if limit is None or have is None or limit[0] != have[0]:
        return False
    return have[1] <= limit[1]


def matching_entry(
    policy: AccountPolicy,
    account_name: str,
    privilege: str | None,
    device_id: str,
    device: DeviceInfo | None,
) -> tuple[ApprovedAccount | None, bool]:
    """(the entry the account is held to, whether that entry allows its privilege).

    The first entry in file order that names the account, covers its device and allows its
    privilege; failing that, the first that names it and covers its device (which then does
    not allow the privilege); ``(None, False)`` when no entry names it there.
    """
    candidates: Sequence[ApprovedAccount] = [
        entry for entry in policy.accounts if entry.applies_to(account_name, device_id, device)
    ]
    for entry in candidates:
        if entry.allows(privilege):
            return entry, True
    return (candidates[0], False) if candidates else (None, False)


def load_account_policy(path: Path) -> AccountPolicy:
    """Read and validate the policy at ``path``.

    Raises :class:`core.errors.InventoryError` (a ``NocError``) naming the file, line and field
    for a missing file, bad YAML, an unknown key, a wrong value or an entry given twice.
    """
    located = load_located_yaml(path)
    if not isinstance(located.data, dict):
        raise located.error((), "the policy must be a mapping with generic_names, accounts…")
    policy = located.validate(AccountPolicy)
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(policy.accounts):
        key = (entry.name, entry.where.model_dump_json())
        if key in seen:
            raise located.error(
                ("accounts", index, "name"),
                f"the same account and where as accounts[{seen[key]}]",
            )
        seen[key] = index
    return policy
