"""The approved-accounts policy: its file, errors that name the line, where and privilege rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InventoryError, NocError
from core.model import Platform
from core.security.account_policy import (
    AccountPolicy,
    AccountWhere,
    ApprovedAccount,
    DeviceInfo,
    load_account_policy,
    matching_entry,
    privilege_rank,
    within,
)

EXAMPLE = """\
generic_names: [admin123, test, temp]
stale_password_days: 90
weak_password_types: [plaintext, cipher, type7]
accounts:
  - name: noc
    owner: null
    purpose: NOC collectors (read-only)
    where: {platforms: [huawei_vrp, hp_comware, cisco_ios, zte_zxros], regions: ["440000"]}
    max_privilege: "3"
  - name: admin
    owner: zhang.wei
    where: {regions: [440100], devices: ["gz-*"]}
    max_privilege: 15
  - name: root
    where: {platforms: [linux]}
    max_privilege: root
"""

GZ_ACCESS = DeviceInfo("440103", Platform.HUAWEI_VRP, "GZ-LIWAN-ACC1")
SZ_CORE = DeviceInfo("440300", Platform.CISCO_IOS, "SZ-CORE1")
HOST = DeviceInfo("440000", Platform.LINUX, "gd-dc1-pension1")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "account-policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_shape_loads(tmp_path: Path) -> None:
    policy = load_account_policy(write(tmp_path, EXAMPLE))
    assert policy.generic_names == ("admin123", "test", "temp")
    assert policy.stale_password_days == 90
    noc, admin, root = policy.accounts
    assert noc.owner is None
    assert noc.where.regions == ("440000",)
    assert admin.max_privilege == "15"  # written as a number, meant as the word
    assert admin.where.regions == ("440100",)
    assert admin.where.devices == ("gz-*",)
    assert root.where.platforms == (Platform.LINUX,)


def test_an_empty_file_is_an_empty_policy(tmp_path: Path) -> None:
    policy = load_account_policy(write(tmp_path, ""))
    assert policy == AccountPolicy()
    assert policy.stale_password_days == 180


@pytest.mark.parametrize(
    ("replace", "by", "line", "field"),
    [
        ("platforms: [linux]", "platforms: [junos]", 15, "accounts[2].where.platforms[0]"),
        ('regions: ["440000"]', 'regions: ["44"]', 8, "accounts[0].where.regions[0]"),
        ("max_privilege: root", "max_privilege: wizard", 16, "accounts[2].max_privilege"),
        ("    max_privilege: root\n", "", 14, "accounts[2].max_privilege"),
        ("stale_password_days: 90", "stale_password_days: 0", 2, "stale_password_days"),
        ("    owner: zhang.wei", "    owner: zhang.wei\n    team: gz", 12, "accounts[1].team"),
        ("    owner: null", '    owner: "  "', 6, "accounts[0].owner"),
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, replace: str, by: str, line: int, field: str
) -> None:
    assert replace in EXAMPLE
    path = write(tmp_path, EXAMPLE.replace(replace, by))
    with pytest.raises(InventoryError) as caught:
        load_account_policy(path)
    assert caught.value.line == line
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{path}:{line}: field '{field}'")
    assert isinstance(caught.value, NocError)


def test_an_entry_given_twice_is_refused_at_its_line(tmp_path: Path) -> None:
    text = EXAMPLE + "  - name: root\n    where: {platforms: [linux]}\n    max_privilege: user\n"
    with pytest.raises(InventoryError) as caught:
        load_account_policy(write(tmp_path, text))
    assert caught.value.line == 17
    assert "accounts[2]" in caught.value.reason


def test_bad_yaml_a_list_and_a_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"\.yaml:3: not valid YAML"):
        load_account_policy(write(tmp_path, "accounts:\n  - name: [unclosed\n"))
    with pytest.raises(InventoryError, match="must be a mapping"):
        load_account_policy(write(tmp_path, "- name: noc\n"))
    with pytest.raises(InventoryError, match="file not found"):
        load_account_policy(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("value", "rank"),
    [
        ("15", ("device", 15)),
        ("3", ("device", 3)),
        ("level-15", ("device", 15)),
        ("network-admin", ("device", 15)),
        ("network-operator", ("device", 1)),
        ("root", ("host", 2)),
        ("sudo", ("host", 1)),
        ("user", ("host", 0)),
        ("16", None),
        ("security-audit", None),
        (None, None),
    ],
)
def test_privilege_ranks(value: str | None, rank: tuple[str, int] | None) -> None:
    assert privilege_rank(value) == rank


def test_privileges_compare_as_numbers_and_only_on_one_scale() -> None:
    assert within("15", "3")
    assert not within("3", "15")  # as strings "15" < "3"; as levels it is above
    assert within("3", "network-operator")
    assert not within("3", "network-admin")
    assert within("root", "sudo")
    assert not within("user", "sudo")
    assert not within("15", "root")  # a host word is not within a device level
    assert not within("root", "15")
    assert not within("15", "security-audit")  # a role the scale cannot place
    assert within("1", None)  # the source did not say: nothing to hold against it


def test_where_matches_platforms_regions_and_globs_on_id_or_name() -> None:
    everywhere = AccountWhere()
    assert everywhere.covers("anything", None)
    city = AccountWhere(regions=("440100",))
    assert city.covers("gz-liwan-acc1", GZ_ACCESS)  # a county of the city
    assert not city.covers("sz-core1", SZ_CORE)
    assert not city.covers("ghost", None)  # not in the inventory: region unknown
    province = AccountWhere(regions=("440000",))
    assert province.covers("sz-core1", SZ_CORE)
    by_glob = AccountWhere(devices=("gz-*",))
    assert by_glob.covers("gz-liwan-acc1", GZ_ACCESS)
    assert AccountWhere(devices=("GZ-LIWAN-*",)).covers("x", GZ_ACCESS)  # the name matches
    assert not by_glob.covers("sz-core1", SZ_CORE)
    assert by_glob.covers("gz-ghost", None)  # named by id: a glob needs no inventory
    hosts = AccountWhere(platforms=(Platform.LINUX,))
    assert hosts.covers("gd-dc1-pension1", HOST)
    assert not hosts.covers("gz-liwan-acc1", GZ_ACCESS)
    assert not hosts.covers("ghost", None)


def test_the_first_entry_that_allows_the_privilege_wins_else_the_first_that_matches() -> None:
    read_only = ApprovedAccount(name="ops", owner="a", max_privilege="3")
    full = ApprovedAccount(name="ops", owner="b", max_privilege="15")
    elsewhere = ApprovedAccount(
        name="ops", owner="c", where=AccountWhere(regions=("440300",)), max_privilege="15"
    )
    policy = AccountPolicy(accounts=(elsewhere, read_only, full))
    assert matching_entry(policy, "ops", "1", "gz", GZ_ACCESS) == (read_only, True)
    assert matching_entry(policy, "ops", "15", "gz", GZ_ACCESS) == (full, True)
    assert matching_entry(policy, "ops", "15", "sz", SZ_CORE) == (elsewhere, True)
    tight = AccountPolicy(accounts=(read_only,))
    assert matching_entry(tight, "ops", "15", "gz", GZ_ACCESS) == (read_only, False)
    assert matching_entry(tight, "Ops", "1", "gz", GZ_ACCESS) == (None, False)


def test_generic_names_and_weak_types_ignore_case() -> None:
    policy = AccountPolicy(generic_names=("Test",), weak_password_types=("type7",))
    assert policy.is_generic("TEST")
    assert not policy.is_generic("tester")
    assert policy.is_weak("Type7")
    assert not policy.is_weak(None)
