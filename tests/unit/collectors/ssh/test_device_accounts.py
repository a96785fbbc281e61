"""Local accounts of network devices, from configurations and VRP's ``display local-user``.

The configurations are the samples in tests/data/configs (real ones where a permissive source
exists, hand-written in the platform's syntax otherwise; see its SOURCE.md). Besides what each
account says, every test checks that no password or hash from the sample reaches the result.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from collectors.ssh.device_accounts import (
    comware_accounts_from_config,
    ios_accounts_from_config,
    merge_accounts,
    parse_comware_version,
    parse_vrp_local_user_table,
    vrp_accounts_from_config,
    vrp_accounts_from_table,
    zte_accounts_from_config,
)
from core.state.ssh_views import AccountOrigin, LocalAccount

CONFIGS = Path(__file__).resolve().parents[3] / "data" / "configs"

# Huawei's command reference (S-series V200R019, `display local-user`), with a blocked account.
VRP_LOCAL_USER = """\
  ----------------------------------------------------------------------------
  User-name                      State  AuthMask  AdminLevel
  ----------------------------------------------------------------------------
  admin                          A      MS        15
  noc-ro                         A      S         1
  ftpuser                        A      F         -
  test                           B      TS        3
  ----------------------------------------------------------------------------
  Total 4 user(s)
"""

# The system-user view of ZXROS as the lab's simulator prints it (lab/ssh/configs/zxros.py).
ZXROS_SYSTEM_USER = """\
system-user
  authentication-template 1
    bind aaa-authentication-template 2001
  $
  authorization-template 1
    bind privilege 1
  $
  authorization-template 15
    bind privilege 15
  $
  user-name admin
    bind authentication-template 1
    bind authorization-template 15
    password encrypted 8Qz2Lm5Px0Rv7Tw1
  $
  user-name noc
    bind authentication-template 1
    bind authorization-template 1
    password encrypted 3Yd6Fc9Gs2Jn5Wn8
  $
$
"""


def by_name(accounts: list[LocalAccount]) -> dict[str, LocalAccount]:
    return {a.name: a for a in accounts}


def secrets_in(text: str) -> list[str]:
    """The password and hash tokens of a configuration (whatever follows the keyword and type)."""
    patterns = [
        r"(?:irreversible-cipher|cipher|simple|hash)\s+(\S+)",
        r"(?:secret|password)\s+(?:\d\s+)?(\S+)",
        r"password encrypted\s+(\S+)",
    ]
    found = []
    for pattern in patterns:
        found += re.findall(pattern, text)
    keywords = {"irreversible-cipher", "cipher", "simple", "hash", "encrypted"}
    return [s for s in found if len(s) >= 6 and s not in keywords]


def assert_no_secret(accounts: list[LocalAccount], text: str) -> None:
    values = " ".join(repr(v) for a in accounts for v in a.model_dump().values())
    for secret in secrets_in(text):
        assert secret not in values


def test_vrp_v200_local_users_from_the_configuration() -> None:
    text = (CONFIGS / "huawei_vrp" / "handwritten_s5735_v200r019.txt").read_text()
    accounts = by_name(vrp_accounts_from_config(text))
    assert set(accounts) == {"admin", "noc-ro", "ftpuser"}
    admin = accounts["admin"]
    assert admin.origin is AccountOrigin.LOCAL_USER
    assert admin.privilege == "15"
    assert admin.password_type == "irreversible-cipher"
    assert admin.service_types == ("terminal", "ssh")
    assert accounts["ftpuser"].password_type == "cipher"
    assert accounts["ftpuser"].privilege is None
    assert_no_secret(list(accounts.values()), text)


def test_vrp_v800_levels() -> None:
    text = (CONFIGS / "huawei_vrp" / "handwritten_ne40e_v800r011.txt").read_text()
    accounts = by_name(vrp_accounts_from_config(text))
    assert accounts["root"].privilege == "3"
    assert accounts["nocbackup"].privilege == "1"
    assert accounts["root"].service_types == ("ssh",)
    assert_no_secret(list(accounts.values()), text)


def test_vrp_display_local_user_table() -> None:
    rows = parse_vrp_local_user_table(VRP_LOCAL_USER)
    assert rows[0] == {"name": "admin", "state": "A", "auth_mask": "MS", "admin_level": "15"}
    accounts = by_name(vrp_accounts_from_table(VRP_LOCAL_USER))
    assert accounts["test"].state == "blocked"
    assert accounts["admin"].service_types == ("terminal", "ssh")
    assert accounts["ftpuser"].privilege is None


def test_vrp_sources_merge_config_first() -> None:
    text = (CONFIGS / "huawei_vrp" / "handwritten_s5735_v200r019.txt").read_text()
    merged = by_name(
        merge_accounts([vrp_accounts_from_config(text), vrp_accounts_from_table(VRP_LOCAL_USER)])
    )
    # The configuration's services win; the table adds what only it knows (state, the stale one).
    assert merged["admin"].service_types == ("terminal", "ssh")
    assert merged["admin"].state == "active"
    assert merged["admin"].password_type == "irreversible-cipher"
    assert merged["test"].state == "blocked"
    assert merged["test"].password_type is None


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (
            "handwritten_s5560_cmw710.txt",
            {
                "admin": ("network-admin", "hash", ("ssh", "terminal")),
                "ftp1": ("network-operator", "plaintext", ("ftp",)),
            },
        ),
        (
            "netutils_comware7_full.txt",
            {
                "NTC-Admin": ("network-admin", "hash", ("ssh", "telnet", "terminal")),
                "NTC-User": ("network-admin", "hash", ("ssh", "telnet")),
            },
        ),
    ],
)
def test_comware_local_user_blocks(
    sample: str, expected: dict[str, tuple[str, str, tuple[str, ...]]]
) -> None:
    text = (CONFIGS / "hp_comware" / sample).read_text()
    accounts = by_name(comware_accounts_from_config(text))
    assert {
        n: (a.privilege, a.password_type, a.service_types) for n, a in accounts.items()
    } == expected
    assert "class-manage" in accounts[next(iter(expected))].groups
    assert_no_secret(list(accounts.values()), text)


def test_comware_5_levels_and_state() -> None:
    text = "\n".join(
        [
            "local-user admin",
            " password cipher $c$3$abcdefghijklmnop",
            " authorization-attribute level 3",
            " service-type ssh telnet terminal",
            " state block",
            "#",
            "local-user guest",
            " password simple guest123",
            " service-type lan-access",
            "#",
        ]
    )
    accounts = by_name(comware_accounts_from_config(text))
    assert accounts["admin"].privilege == "3"
    assert accounts["admin"].state == "blocked"
    assert accounts["guest"].state == "active"
    assert accounts["guest"].password_type == "plaintext"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("handwritten_isr4331_16.9.txt", {"admin": ("15", "scrypt"), "backup": ("1", "type7")}),
        ("napalm_csr1000v_15.5.txt", {"cisco": ("15", "plaintext")}),
        ("oxidized_asr920_16.8.1b.txt", {"root": ("1", "md5")}),
        ("oxidized_c9200l_17.09.04a.txt", {"oxidized": ("1", "scrypt"), "rocks": ("1", "scrypt")}),
        ("oxidized_c9800_17.06.05.txt", {}),
        ("batfish_as2border2.txt", {}),
    ],
)
def test_ios_usernames(sample: str, expected: dict[str, tuple[str, str]]) -> None:
    text = (CONFIGS / "cisco_ios" / sample).read_text()
    accounts = ios_accounts_from_config(text)
    assert {a.name: (a.privilege, a.password_type) for a in accounts} == expected
    assert all(a.origin is AccountOrigin.USERNAME for a in accounts)
    assert_no_secret(accounts, text)


def test_ios_lines_of_one_user_are_one_account() -> None:
    text = (
        "username ops privilege 15 view monitor secret 8 $8$abcdefghijklmno$pqrstuvwxyz\n"
        "username ops autocommand show ip interface brief\n"
        "username guest nopassword\n"
        "username legacy password letmein\n"
    )
    accounts = by_name(ios_accounts_from_config(text))
    assert accounts["ops"].password_type == "pbkdf2-sha256"
    assert accounts["ops"].privilege == "15"
    assert accounts["ops"].groups == ("view-monitor",)
    assert accounts["guest"].password_type == "none"
    assert accounts["legacy"].password_type == "plaintext"
    assert "letmein" not in repr(accounts)


def test_zxros_username_lines() -> None:
    text = (CONFIGS / "zte_zxros" / "handwritten_zxr10_m6000.txt").read_text()
    accounts = by_name(zte_accounts_from_config(text))
    assert {n: (a.privilege, a.password_type) for n, a in accounts.items()} == {
        "admin": ("15", "encrypted"),
        "noc-ro": ("1", "plaintext"),
    }
    assert "NocRead#2026" not in repr(accounts)
    assert "3dNq8Lw2Pz5Rx0Vm" not in repr(accounts)


def test_zxros_system_user_blocks_take_their_template_s_privilege() -> None:
    accounts = by_name(zte_accounts_from_config(ZXROS_SYSTEM_USER))
    assert {n: (a.privilege, a.password_type) for n, a in accounts.items()} == {
        "admin": ("15", "encrypted"),
        "noc": ("1", "encrypted"),
    }
    assert "8Qz2Lm5Px0Rv7Tw1" not in repr(accounts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "H3C Comware Software, Version 7.1.070, Release 6728P22\n"
            "Copyright (c) 2004-2022 New H3C Technologies Co., Ltd. All rights reserved.\n"
            "H3C S6520X-30QC-EI uptime is 0 weeks, 3 days, 2 hours, 20 minutes\n"
            "Last reboot reason : Cold reboot\n",
            {
                "vendor": "H3C",
                "version": "7.1.070, Release 6728P22",
                "model": "S6520X-30QC-EI",
                "uptime": "0 weeks, 3 days, 2 hours, 20 minutes",
            },
        ),
        (
            "HPE Comware Software, Version 7.1.045, Release 2432P06\n"
            "HPE 5130 24G 4SFP+ EI Switch JG932A uptime is 2 weeks, 1 day, 0 hours, 5 minutes\n",
            {
                "vendor": "HPE",
                "version": "7.1.045, Release 2432P06",
                "model": "5130 24G 4SFP+ EI Switch JG932A",
                "uptime": "2 weeks, 1 day, 0 hours, 5 minutes",
            },
        ),
    ],
)
def test_comware_display_version(text: str, expected: dict[str, str]) -> None:
    assert parse_comware_version(text) == [expected]


def test_comware_display_version_of_something_else_is_nothing() -> None:
    assert parse_comware_version("% Unrecognized command found at '^' position.") == []
