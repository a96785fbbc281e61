"""The permission audit on hand-built accounts: every finding kind, several per account, the
order, the counts per region, and the findings' CSV and JSON exports."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.model import Platform
from core.security.account_audit import (
    AccountFinding,
    FindingKind,
    Severity,
    audit_accounts,
    findings_by_region,
)
from core.security.account_policy import AccountPolicy, AccountWhere, ApprovedAccount, DeviceInfo
from core.security.report_export import (
    FINDING_COLUMNS,
    read_findings_csv,
    read_findings_json,
    write_findings_csv,
    write_findings_json,
)
from core.state.ssh_views import AccountOrigin, StoredAccount

NOW = datetime(2026, 6, 1, tzinfo=UTC)
NETWORK = (Platform.HUAWEI_VRP, Platform.HP_COMWARE, Platform.CISCO_IOS, Platform.ZTE_ZXROS)
DEVICES = {
    "gz-liwan-acc1": DeviceInfo("440103", Platform.HUAWEI_VRP, "GZ-LIWAN-ACC1"),
    "gz-core1": DeviceInfo("440100", Platform.HP_COMWARE, "GZ-CORE1"),
    "sz-core1": DeviceInfo("440300", Platform.CISCO_IOS, "SZ-CORE1"),
    "gd-dc1-pension1": DeviceInfo("440000", Platform.LINUX, "gd-dc1-pension1"),
}
POLICY = AccountPolicy(
    generic_names=("test", "admin123"),
    stale_password_days=180,
    weak_password_types=("plaintext", "type7", "md5"),
    accounts=(
        ApprovedAccount(
            name="noc",
            where=AccountWhere(platforms=NETWORK, regions=("440000",)),
            max_privilege="3",
        ),
        ApprovedAccount(
            name="admin",
            owner="eng.gz",
            where=AccountWhere(regions=("440100",)),
            max_privilege="15",
        ),
        ApprovedAccount(
            name="admin",
            owner="eng.sz",
            where=AccountWhere(regions=("440300",)),
            max_privilege="15",
        ),
        ApprovedAccount(
            name="test", owner="eng.gz", where=AccountWhere(devices=("gz-*",)), max_privilege="1"
        ),
        ApprovedAccount(
            name="root", where=AccountWhere(platforms=(Platform.LINUX,)), max_privilege="root"
        ),
        ApprovedAccount(
            name="deploy",
            owner="ops",
            where=AccountWhere(platforms=(Platform.LINUX,)),
            max_privilege="user",
        ),
    ),
)
OWNERS = {
    "eng.gz": frozenset({"440100"}),
    "eng.sz": frozenset({"440300"}),
    "ops": frozenset({"440000"}),
}


def account(device_id: str, name: str, **fields: Any) -> StoredAccount:
    origin = AccountOrigin.LINUX if device_id.startswith("gd-") else AccountOrigin.LOCAL_USER
    return StoredAccount(device_id=device_id, name=name, origin=origin, collected_at=NOW, **fields)


def kinds(findings: list[AccountFinding]) -> set[tuple[str, str, str]]:
    return {(f.kind.value, f.device_id, f.account) for f in findings}


def audit(
    *accounts: StoredAccount, owners: dict[str, frozenset[str]] = OWNERS
) -> list[AccountFinding]:
    return audit_accounts(accounts, DEVICES, POLICY, owners, NOW)


def test_approved_accounts_within_their_privilege_are_clean() -> None:
    assert (
        audit(
            account("gz-liwan-acc1", "noc", privilege="3", password_type="irreversible-cipher"),
            account("gz-core1", "noc", privilege="network-operator", password_type="hash"),
            account("gz-liwan-acc1", "admin", privilege="15"),
            account("sz-core1", "admin", privilege="15", password_type="scrypt"),
            account("gd-dc1-pension1", "root", privilege="root", uid=0),
        )
        == []
    )


def test_unknown_account() -> None:
    findings = audit(account("gz-liwan-acc1", "huawei", privilege="1"))
    assert kinds(findings) == {("unknown_account", "gz-liwan-acc1", "huawei")}
    assert findings[0].severity is Severity.MEDIUM
    assert findings[0].region_code == "440103"


def test_a_name_approved_elsewhere_is_unknown_here() -> None:
    # noc is approved on network devices only; admin only in the cities that name it.
    findings = audit(
        account("gd-dc1-pension1", "noc", privilege="user"),
        account("gd-dc1-pension1", "admin", privilege="user"),
    )
    assert kinds(findings) == {
        ("unknown_account", "gd-dc1-pension1", "noc"),
        ("unknown_account", "gd-dc1-pension1", "admin"),
    }


def test_privileged_and_unknown() -> None:
    findings = audit(account("gz-liwan-acc1", "huawei", privilege="15"))
    assert kinds(findings) == {
        ("unknown_account", "gz-liwan-acc1", "huawei"),
        ("privileged_not_in_policy", "gz-liwan-acc1", "huawei"),
    }
    privileged = next(f for f in findings if f.kind is FindingKind.PRIVILEGED_NOT_IN_POLICY)
    assert privileged.severity is Severity.HIGH
    assert privileged.privilege == "15"


def test_privileged_above_the_entrys_maximum() -> None:
    findings = audit(account("gz-core1", "noc", privilege="network-admin"))
    assert kinds(findings) == {("privileged_not_in_policy", "gz-core1", "noc")}
    assert "above the 3" in findings[0].detail


def test_above_the_maximum_but_not_privileged_is_no_finding() -> None:
    # test at level 2 is above its entry's 1, but level 2 cannot change the device.
    assert audit(account("gz-liwan-acc1", "test", privilege="2")) == [
        AccountFinding(
            FindingKind.GENERIC_NAME,
            "gz-liwan-acc1",
            "440103",
            "test",
            "2",
            "a shared or generic name nobody answers for",
            Severity.MEDIUM,
        )
    ]


def test_a_sudoers_rule_makes_a_host_account_privileged() -> None:
    sudo_rule = ("deploy ALL=(ALL) NOPASSWD: ALL",)
    findings = audit(account("gd-dc1-pension1", "deploy", privilege="sudo", sudo=sudo_rule))
    assert kinds(findings) == {("privileged_not_in_policy", "gd-dc1-pension1", "deploy")}
    unstated = audit(account("gd-dc1-pension1", "deploy", sudo=sudo_rule))
    assert kinds(unstated) == {("privileged_not_in_policy", "gd-dc1-pension1", "deploy")}


def test_generic_name_even_when_approved() -> None:
    findings = audit(account("gz-core1", "TEST", privilege="1"), account("gz-core1", "test"))
    assert kinds(findings) == {
        ("generic_name", "gz-core1", "test"),
        ("generic_name", "gz-core1", "TEST"),
        ("unknown_account", "gz-core1", "TEST"),  # names on devices match exactly
    }


def test_owner_out_of_region() -> None:
    # eng.gz owns "test" on every gz-* device, but the glob also catches a device in Shenzhen.
    devices = {**DEVICES, "gz-lent1": DeviceInfo("440305", Platform.HUAWEI_VRP, "GZ-LENT1")}
    findings = audit_accounts(
        [account("gz-lent1", "test", privilege="1")], devices, POLICY, OWNERS, NOW
    )
    assert kinds(findings) == {
        ("generic_name", "gz-lent1", "test"),
        ("owner_out_of_region", "gz-lent1", "test"),
    }
    out = next(f for f in findings if f.kind is FindingKind.OWNER_OUT_OF_REGION)
    assert out.detail == "owner eng.gz holds roles for 440100, not for 440305"


def test_an_owner_without_any_role_is_out_of_every_region() -> None:
    findings = audit(account("sz-core1", "admin", privilege="15"), owners={})
    assert kinds(findings) == {("owner_out_of_region", "sz-core1", "admin")}
    assert "no role at all" in findings[0].detail


def test_a_province_scope_covers_every_city() -> None:
    owners = {"eng.gz": frozenset({"440000"}), "eng.sz": frozenset({"440000"})}
    assert audit(account("sz-core1", "admin", privilege="15"), owners=owners) == []


def test_stale_password_only_where_the_source_says_when_it_changed() -> None:
    old = NOW - timedelta(days=181)
    findings = audit(
        account("gd-dc1-pension1", "root", privilege="root", password_type="sha512",
                password_changed_at=old, state="active"),
        account("gd-dc1-pension1", "deploy", privilege="user", password_type="yescrypt",
                password_changed_at=NOW - timedelta(days=180), state="active"),
        account("gz-liwan-acc1", "admin", privilege="15", password_type="irreversible-cipher"),
    )  # fmt: skip
    assert kinds(findings) == {("stale_password", "gd-dc1-pension1", "root")}
    assert findings[0].severity is Severity.LOW
    assert "181 days" in findings[0].detail


@pytest.mark.parametrize(
    ("password_type", "state"),
    [("no-password", "active"), ("sha512", "locked"), ("locked", None), ("md5", "disabled")],
)
def test_a_password_nobody_can_log_in_with_is_never_stale(
    password_type: str, state: str | None
) -> None:
    long_ago = NOW - timedelta(days=4000)
    findings = audit(
        account("gd-dc1-pension1", "root", privilege="root", password_type=password_type,
                password_changed_at=long_ago, state=state),
    )  # fmt: skip
    assert FindingKind.STALE_PASSWORD not in {f.kind for f in findings}


def test_weak_password_type() -> None:
    findings = audit(account("sz-core1", "admin", privilege="15", password_type="Type7"))
    assert kinds(findings) == {("weak_password_type", "sz-core1", "admin")}
    assert findings[0].detail == "password kept as Type7"
    assert findings[0].severity is Severity.HIGH


def test_one_account_can_have_every_finding_of_an_unknown_account() -> None:
    findings = audit(
        account("gd-dc1-pension1", "admin123", privilege="root", uid=0, password_type="md5",
                password_changed_at=NOW - timedelta(days=999), state="active"),
    )  # fmt: skip
    assert [f.kind for f in findings] == [
        FindingKind.GENERIC_NAME,
        FindingKind.PRIVILEGED_NOT_IN_POLICY,
        FindingKind.STALE_PASSWORD,
        FindingKind.UNKNOWN_ACCOUNT,
        FindingKind.WEAK_PASSWORD_TYPE,
    ]


def test_a_device_missing_from_the_inventory() -> None:
    findings = audit(account("ghost1", "noc", privilege="3"), account("gz-ghost", "test"))
    assert kinds(findings) == {
        ("unknown_account", "ghost1", "noc"),  # noc is approved by platform and region only
        ("privileged_not_in_policy", "ghost1", "noc"),
        ("generic_name", "gz-ghost", "test"),
        ("owner_out_of_region", "gz-ghost", "test"),  # nobody can be shown to cover it
    }
    assert {f.region_code for f in findings} == {""}


def test_findings_are_sorted_by_region_device_account_and_kind() -> None:
    findings = audit(
        account("sz-core1", "cisco", privilege="15", password_type="md5"),
        account("gz-liwan-acc1", "huawei", privilege="15"),
        account("gz-core1", "test", privilege="network-admin"),
        account("gz-core1", "h3c", privilege="network-admin"),
    )
    assert [(f.region_code, f.device_id, f.account, f.kind.value) for f in findings] == [
        ("440100", "gz-core1", "h3c", "privileged_not_in_policy"),
        ("440100", "gz-core1", "h3c", "unknown_account"),
        ("440100", "gz-core1", "test", "generic_name"),
        ("440100", "gz-core1", "test", "privileged_not_in_policy"),
        ("440103", "gz-liwan-acc1", "huawei", "privileged_not_in_policy"),
        ("440103", "gz-liwan-acc1", "huawei", "unknown_account"),
        ("440300", "sz-core1", "cisco", "privileged_not_in_policy"),
        ("440300", "sz-core1", "cisco", "unknown_account"),
        ("440300", "sz-core1", "cisco", "weak_password_type"),
    ]
    assert findings_by_region(findings) == {"440100": 4, "440103": 2, "440300": 3}
    assert findings_by_region([]) == {}


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        audit_accounts([], DEVICES, POLICY, OWNERS, datetime(2026, 6, 1))


SAMPLE = [
    AccountFinding(
        FindingKind.WEAK_PASSWORD_TYPE, "sz-core1", "440300", "cisco", "15", "kept as md5",
        Severity.HIGH,
    ),
    AccountFinding(
        FindingKind.UNKNOWN_ACCOUNT, "ghost", "", "=HYPERLINK(\"http://x\")", None,
        "-no entry, \"quoted\", line\nbreak", Severity.MEDIUM,
    ),
    AccountFinding(
        FindingKind.GENERIC_NAME, "gz-core1", "440100", "'quoted", "network-admin", "@generic",
        Severity.MEDIUM,
    ),
]  # fmt: skip


def test_findings_round_trip_through_csv_with_formulas_defused() -> None:
    out = io.StringIO()
    assert write_findings_csv(SAMPLE, out) == 3
    text = out.getvalue()
    assert text.splitlines()[0] == ",".join(FINDING_COLUMNS)
    assert "'=HYPERLINK" in text
    assert ",'@generic" in text
    assert read_findings_csv(io.StringIO(text)) == SAMPLE


def test_findings_round_trip_through_json() -> None:
    out = io.StringIO()
    assert write_findings_json(SAMPLE, out) == 3
    document = json.loads(out.getvalue())
    assert document[0]["kind"] == "weak_password_type"
    assert document[1]["privilege"] is None
    assert read_findings_json(io.StringIO(out.getvalue())) == SAMPLE
    empty = io.StringIO()
    assert write_findings_json([], empty) == 0
    assert json.loads(empty.getvalue()) == []
