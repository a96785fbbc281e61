"""The lab's account policy file, its NOC users, and the violations it says it planted.

That the audit finds exactly the planted violations on what the collectors read is proven in
tests/integration/lab/test_account_audit_lab.py; here, the data itself."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from core.model import RegionLevel
from core.security.account_audit import FindingKind
from core.security.account_policy import load_account_policy
from core.security.permissions import Role
from core.security.scope import is_region_code, scope_covers
from lab.account_policy import (
    ACCOUNT_POLICY_FILE,
    lab_account_policy,
    lab_noc_users,
    lab_owner_scopes,
    lent_account,
    planted_violations,
    write_account_policy,
)
from lab.model import AccountRole, Province

# The NOC's user names: 1–64 of a-z, 0-9, '.', '_', '-' (core.security.user_views).
USERNAME = re.compile(r"^[a-z0-9._-]{1,64}$")


def test_the_written_file_is_the_policy_and_the_noc_reads_it(
    tmp_path: Path, small: Province
) -> None:
    path = write_account_policy(tmp_path, small)
    assert path == tmp_path / ACCOUNT_POLICY_FILE
    assert path.read_text(encoding="utf-8").startswith("# Approved local accounts")
    assert load_account_policy(path) == lab_account_policy(small)


def test_noc_users_have_valid_names_roles_and_scopes(full: Province) -> None:
    users = lab_noc_users(full)
    names = [u.username for u in users]
    assert len(names) == len(set(names))
    assert all(USERNAME.match(name) for name in names)
    codes = {r.code for r in full.regions}
    assert all(is_region_code(u.scope_code) and u.scope_code in codes for u in users)
    cities = [r.code for r in full.regions if r.level is RegionLevel.CITY]
    engineers = {u.scope_code for u in users if u.role is Role.NETWORK_ENGINEER}
    assert engineers == set(cities)  # one engineer per city
    assert {u.role for u in users if u.scope_code == "440000"} == {
        Role.ADMIN,
        Role.SECURITY_OFFICER,
        Role.ONCALL,
    }


def test_every_owner_the_policy_names_is_a_lab_noc_user(full: Province) -> None:
    owners = {e.owner for e in lab_account_policy(full).accounts if e.owner is not None}
    assert owners <= set(lab_owner_scopes(full))
    assert len(owners) > 20


def test_noc_admin_and_host_accounts_are_approved_vendor_and_stale_ones_not(
    full: Province,
) -> None:
    policy = lab_account_policy(full)
    approved = {e.name for e in policy.accounts}
    assert {"noc", "admin", "root", "sshd"} <= approved
    for device in full.devices:
        for account in device.accounts:
            if account.role in (AccountRole.VENDOR, AccountRole.STALE):
                assert account.name not in approved
            if account.role is AccountRole.STALE:
                assert policy.is_generic(account.name)
    assert not policy.is_generic("admin")
    assert policy.is_weak("type7")
    assert policy.is_weak("plaintext")


def test_one_admin_is_lent_to_an_engineer_of_another_city(small: Province) -> None:
    lent = lent_account(small)
    assert lent is not None
    device = small.device_by_id()[lent.device_id]
    assert device.is_network_device
    assert lent.account == "admin"
    owner_scopes = lab_owner_scopes(small)[lent.owner]
    assert not any(scope_covers(code, device.region) for code in owner_scopes)
    city = next(r.parent for r in small.regions if r.code == device.region)
    assert city is not None
    assert city not in owner_scopes


def test_a_province_of_one_city_lends_nothing(small: Province) -> None:
    first_city = next(r.code for r in small.regions if r.level is RegionLevel.CITY)
    alone = small.model_copy(
        update={"regions": tuple(r for r in small.regions if r.level is not RegionLevel.CITY
                                 or r.code == first_city)}
    )  # fmt: skip
    assert lent_account(alone) is None
    assert "owner_out_of_region" not in {kind for kind, _, _ in planted_violations(alone)}


def test_planted_violations_cover_every_vendor_and_stale_account(full: Province) -> None:
    planted = planted_violations(full)
    known_kinds = {k.value for k in FindingKind}
    assert {kind for kind, _, _ in planted} <= known_kinds
    hosts = {d.id for d in full.devices if not d.is_network_device}
    assert not {device for _, device, _ in planted} & hosts
    for device in full.devices:
        for account in device.accounts:
            mine = {kind for kind, d, a in planted if (d, a) == (device.id, account.name)}
            if account.role is AccountRole.VENDOR:
                assert {"unknown_account", "privileged_not_in_policy"} <= mine
            if account.role is AccountRole.STALE:
                assert {"unknown_account", "generic_name"} <= mine
            if account.role is AccountRole.NOC:
                assert mine == set()
    counts = Counter(kind for kind, _, _ in planted)
    assert counts["owner_out_of_region"] == 1
    assert counts["weak_password_type"] > 0  # IOS type 7 and MD5
    # Comware shows a read-only stale account as network-operator: not privileged there.
    assert counts["privileged_not_in_policy"] < counts["unknown_account"]


def test_planted_violations_follow_the_seed(full: Province, small: Province) -> None:
    assert planted_violations(full) == planted_violations(full.model_copy())
    assert planted_violations(small) != planted_violations(full)
