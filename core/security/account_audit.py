"""The permission audit of devices and hosts: collected local accounts against the policy.

:func:`audit_accounts` is a pure function of the stored accounts, the inventory's devices, the
approved-accounts policy (:mod:`core.security.account_policy`), the NOC users' scopes and the
time. Each finding has one of these kinds — one account may have several:

``unknown_account``
    No policy entry names the account with a ``where`` that covers its device.
``privileged_not_in_policy``
    The account is privileged (:func:`core.state.accounts.is_privileged`: IOS/VRP/ZXROS level 15
    or 3, Comware ``network-admin``, a host's uid 0 or a sudoers rule) and either no entry
    approves it there, or the entry it is held to (:func:`~core.security.account_policy.
    matching_entry`) allows less than it has.
``generic_name``
    Its name is one of the policy's ``generic_names`` (ignoring case): a shared account nobody
    can be held to, whether approved or not.
``owner_out_of_region``
    The entry it is held to names an owner, and none of that NOC user's roles has a scope that
    covers the device's region (an owner with no role at all, or unknown, counts as well).
``stale_password``
    The source says when the password last changed (Linux hosts' shadow; network devices never
    say), the account can log in with a password (its ``password_type`` is not ``no-password``
    or ``locked`` and its state is not locked, blocked or disabled), and that change is more
    than ``stale_password_days`` before ``now``.
``weak_password_type``
    Its ``password_type`` is one of the policy's ``weak_password_types`` (ignoring case):
    readable in the configuration or cheap to reverse, whatever the account's state.

Findings come sorted by (region code, device id, account name, kind).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.security.account_policy import AccountPolicy, DeviceInfo, matching_entry
from core.security.scope import is_region_code, scope_covers
from core.state.accounts import is_privileged
from core.state.ssh_views import StoredAccount

__all__ = [
    "AccountFinding",
    "DeviceInfo",
    "FindingKind",
    "Severity",
    "audit_accounts",
    "findings_by_region",
]

NO_PASSWORD_TYPES = frozenset({"no-password", "locked"})
"""Password kinds that cannot be logged in with: no password is ever stale for them."""
LOCKED_STATES = frozenset({"locked", "blocked", "disabled"})
"""Account states in which a password cannot be used."""
_DAY_S = 86_400


class FindingKind(StrEnum):
    """What is wrong with an account (defined in the module docstring)."""

    UNKNOWN_ACCOUNT = "unknown_account"
    PRIVILEGED_NOT_IN_POLICY = "privileged_not_in_policy"
    GENERIC_NAME = "generic_name"
    OWNER_OUT_OF_REGION = "owner_out_of_region"
    STALE_PASSWORD = "stale_password"  # noqa: S105 - a finding's name, not a password
    WEAK_PASSWORD_TYPE = "weak_password_type"  # noqa: S105 - a finding's name


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITY: dict[FindingKind, Severity] = {
    FindingKind.PRIVILEGED_NOT_IN_POLICY: Severity.HIGH,
    FindingKind.WEAK_PASSWORD_TYPE: Severity.HIGH,
    FindingKind.UNKNOWN_ACCOUNT: Severity.MEDIUM,
    FindingKind.GENERIC_NAME: Severity.MEDIUM,
    FindingKind.OWNER_OUT_OF_REGION: Severity.MEDIUM,
    FindingKind.STALE_PASSWORD: Severity.LOW,
}
"""High: someone unapproved can change the device, or the password can be read off a config."""


@dataclass(frozen=True, slots=True)
class AccountFinding:
    """One thing wrong with one account on one device or host."""

    kind: FindingKind
    device_id: str
    region_code: str
    """The device's region; empty when the inventory does not know the device."""
    account: str
    privilege: str | None
    detail: str
    """One line for the reviewer: why, in words."""
    severity: Severity

    def to_json(self) -> dict[str, str | None]:
        """The finding as a flat JSON object (exports, signed snapshots)."""
        return {
            "region_code": self.region_code,
            "device_id": self.device_id,
            "account": self.account,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "privilege": self.privilege,
            "detail": self.detail,
        }

    @property
    def key(self) -> tuple[str, str, str]:
        """(kind, device, account): what identifies the finding from one review to the next."""
        return self.kind.value, self.device_id, self.account


def audit_accounts(
    accounts: Iterable[StoredAccount],
    devices: Mapping[str, DeviceInfo],
    policy: AccountPolicy,
    owner_scopes: Mapping[str, frozenset[str]],
    now: datetime,
) -> list[AccountFinding]:
    """Every finding about ``accounts`` (see the module docstring), sorted.

    ``devices`` maps device ids to their region, platform and name; ``owner_scopes`` maps NOC
    user names to the scope codes where they hold any role.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    findings: list[AccountFinding] = []
    for account in accounts:
        findings.extend(_account_findings(account, devices, policy, owner_scopes, now))
    findings.sort(key=lambda f: (f.region_code, f.device_id, f.account, f.kind.value))
    return findings


def findings_by_region(findings: Iterable[AccountFinding]) -> dict[str, int]:
    """How many findings each region code has (the device's own region, not rolled up to the
    city or province), sorted by code; devices the inventory does not know count under ``""``."""
    counts = Counter(f.region_code for f in findings)
    return dict(sorted(counts.items()))


def _account_findings(
    account: StoredAccount,
    devices: Mapping[str, DeviceInfo],
    policy: AccountPolicy,
    owner_scopes: Mapping[str, frozenset[str]],
    now: datetime,
) -> list[AccountFinding]:
    device = devices.get(account.device_id)
    privilege = _effective_privilege(account)
    entry, allowed = matching_entry(policy, account.name, privilege, account.device_id, device)
    found: list[tuple[FindingKind, str]] = []
    if entry is None:
        found.append((FindingKind.UNKNOWN_ACCOUNT, "no policy entry approves it here"))
    if is_privileged(account) and not allowed:
        if entry is None:
            why = f"privilege {privilege} and not approved"
        else:
            why = f"privilege {privilege} above the {entry.max_privilege} the policy allows"
        found.append((FindingKind.PRIVILEGED_NOT_IN_POLICY, why))
    if policy.is_generic(account.name):
        found.append((FindingKind.GENERIC_NAME, "a shared or generic name nobody answers for"))
    region = device.region_code if device is not None else ""
    if entry is not None and entry.owner is not None:
        scopes = owner_scopes.get(entry.owner, frozenset())
        if not _covered(scopes, region):
            held = ", ".join(sorted(scopes)) if scopes else "no role at all"
            found.append(
                (
                    FindingKind.OWNER_OUT_OF_REGION,
                    f"owner {entry.owner} holds roles for {held}, not for {region or 'it'}",
                )
            )
    stale_days = _stale_days(account, now)
    if stale_days is not None and stale_days > policy.stale_password_days:
        found.append(
            (
                FindingKind.STALE_PASSWORD,
                f"password unchanged for {stale_days} days (policy: {policy.stale_password_days})",
            )
        )
    if policy.is_weak(account.password_type):
        found.append((FindingKind.WEAK_PASSWORD_TYPE, f"password kept as {account.password_type}"))
    return [
        AccountFinding(
            kind=kind,
            device_id=account.device_id,
            region_code=region,
            account=account.name,
            privilege=account.privilege,
            detail=detail,
            severity=SEVERITY[kind],
        )
        for kind, detail in found
    ]


def _effective_privilege(account: StoredAccount) -> str | None:
    """The account's privilege; a sudoers rule without a stated privilege counts as ``sudo``."""
    if account.privilege is None and account.sudo:
        return "sudo"
    return account.privilege


def _covered(scopes: frozenset[str], region_code: str) -> bool:
    if not is_region_code(region_code):
        return False  # a device the inventory does not place: no scope can be shown to cover it
    return any(is_region_code(s) and scope_covers(s, region_code) for s in scopes)


def _stale_days(account: StoredAccount, now: datetime) -> int | None:
    """Whole days since the password changed, when that is known and the password usable."""
    if account.password_changed_at is None:
        return None
    if (account.password_type or "").lower() in NO_PASSWORD_TYPES:
        return None
    if (account.state or "").lower() in LOCKED_STATES:
        return None
    return int((now - account.password_changed_at).total_seconds() // _DAY_S)
