"""Secret scrubbing on real configuration samples (tests/data/configs, see SOURCE.md) and per rule.

For every sample: the secrets known to be in it are gone, every line that held none is unchanged
byte-for-byte, each changed line differs from the original only where a known secret stood, the
count per rule is exact, and scrubbing the result again changes and counts nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from collectors.ssh.scrubber import (
    PLACEHOLDER,
    scrub,
    scrub_platforms,
)
from core.model import Platform

CONFIGS = Path(__file__).resolve().parents[3] / "data" / "configs"

IOS, VRP, CMW, ZTE = (
    Platform.CISCO_IOS,
    Platform.HUAWEI_VRP,
    Platform.HP_COMWARE,
    Platform.ZTE_ZXROS,
)


@dataclass(frozen=True)
class Sample:
    path: str
    secrets: tuple[str, ...]
    """Every value the scrubber must replace (and nothing else may be replaced)."""
    counts: dict[str, int]
    common_words: tuple[str, ...] = ()
    """Secrets that are also ordinary words elsewhere in the file (e.g. a username)."""
    kept: tuple[str, ...] = field(default=())
    """Lines that look secret-ish but are not, and must survive as they are."""

    @property
    def platform(self) -> Platform:
        return Platform(self.path.split("/")[0])

    def text(self) -> str:
        return (CONFIGS / self.path).read_bytes().decode("utf-8")


SAMPLES = (
    Sample(
        "cisco_ios/oxidized_c9200l_17.09.04a.txt",
        secrets=(
            "AAAAAAAAAABBBBBBBBBB",
            "$9$xxxSECRET_ENABLExxxxxxxxxxxxxx",
            "$9$xxxxxxxxxxSECRET_OXIDIZEDxxxxxxxxx",
            "public",
        ),
        counts={
            "enable-secret": 1,
            "username-secret": 2,
            "radius-server-key": 2,
            "snmp-community": 1,
            "snmp-host-community": 3,
        },
        kept=(
            "snmp-server host 10.42.0.36 vrf Mgmt-vrf informs version 3 auth oxidized  "
            "bfd bridge transceiver",
            "aaa authorization exec default group tacacs+ if-authenticated ",
        ),
    ),
    Sample(
        "cisco_ios/oxidized_c9800_17.06.05.txt",
        secrets=(
            "$9$SECRET_REMOVED",
            "REMOVED_SECRET",
            "WLANSECR3T",
            "WLAN SECR3T",
            "7df35f90c92ecff2a803e79577b85e978edc0a76404f6cfb534df8d9f9f67beb",
            "DOT1XPASSW0RD",
            "MGMTPASSW0RD",
            "MGMTSECR3T",
            "DOT1X PASSW0RD",
            "MGMT PASSW0RD",
            "MGMT SECR3T",
        ),
        counts={
            "enable-secret": 1,
            "ap-profile-credential": 6,
            "wlan-psk": 3,
            "radius-server-key": 1,
        },
    ),
    Sample(
        "cisco_ios/oxidized_asr920_16.8.1b.txt",
        secrets=("password", "ABCDEFGH1234"),
        counts={"enable-secret": 1, "username-secret": 1, "aaa-server-key": 3},
        common_words=("password",),
        kept=(
            "security passwords min-length 8",
            "snmp-server enable traps snmp authentication linkdown linkup coldstart warmstart",
            "tacacs-server timeout 3",
        ),
    ),
    Sample(
        "cisco_ios/napalm_csr1000v_15.5.txt",
        secrets=("cisco",),
        counts={"enable-secret": 1, "username-secret": 1},
        common_words=("cisco",),
    ),
    Sample(
        "cisco_ios/batfish_as2border2.txt",
        secrets=(),
        counts={},
        kept=(" set community 2:1 additive", "ip community-list expanded as1_community permit _1:"),
    ),
    Sample(
        "cisco_ios/handwritten_isr4331_16.9.txt",
        secrets=(
            "$8$mJ0Tl2Qk1zXwPq$Vh3RtK9bWm2Ld5Ny8Zq1Ps4Fx7Gc0Hj6Ue3Ao9Yr2Tb",
            "3082032E 30820216 A0030201 02020101 300D0609 2A864886 F70D0101 05050030",
            "30312E30 2C060355 04031325 494F532D 53656C66 2D536967 6E65642D 43657274",
            "69666963 6174652D 33333138 34323139 3237301E 170D3236 30333032 31303232",
            "0822455D0A16544541",
            "$9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM",
            "070C285F4D06485744",
            "01100F175804575D72",
            "104D000A0618",
            "Vrrp20Key",
            "1511021F07257A767B",
            "05080F1C22431F5B4A",
            "GdMzPsk2026!",
            "GdMzLocal#88",
            "GdMzRemote#99",
            "1306181C0E0B0A3F26",
            "Gd#Mz!Ro2026",
            "Gd#Mz!Rw2026",
            "NocAuthKey2026",
            "NocPrivKey2026",
            "Gd#Mz!Trap2026",
            "0315491E0A1C1F2D4D4A",
            "06120A2D424B1D1B",
            "1446405858517C7D",
            "045802150C2E1D1C5A",
            "14141B180F0B7B7977",
        ),
        counts={
            "enable-secret": 1,
            "username-secret": 2,
            "aaa-server-key": 1,
            "aaa-server-block-key": 1,
            "snmp-community": 2,
            "snmp-host-community": 1,
            "snmp-user-keys": 2,
            "key-string": 2,
            "ospf-key": 1,
            "bgp-neighbor-password": 1,
            "fhrp-text-key": 1,
            "ppp-password": 1,
            "isakmp-key": 1,
            "pre-shared-key": 2,
            "ntp-key": 1,
            "ftp-password": 1,
            "line-password": 2,
            "pki-certificate": 1,
        },
        kept=(" key 1", " certificate self-signed 01", "  \tquit", "ntp trusted-key 1"),
    ),
    Sample(
        "hp_comware/netutils_comware7_full.txt",
        secrets=(
            "$c$3$123456789012345678901234567890",
            "$h$6$123456789012345678901234567890$1234567890123456789012345678901234567890"
            "1234567890123456789012345678901234567890",
            "Test-Community",
        ),
        counts={
            "local-user-password": 2,
            "snmp-community": 1,
            "aaa-scheme-key": 3,
            "bgp-peer-password": 1,
        },
        kept=(" snmp-agent local-engineid 123456789012345678901234567890", " header motd % "),
    ),
    Sample(
        "hp_comware/handwritten_s5560_cmw710.txt",
        secrets=(
            "$c$3$9tnl6Qw3B2wqK9k0Hq9nVb8ZrZ3j7PQ=",
            "$c$3$Xq4U1W2dQ0v3p0Gc7s4f6rYw8ZbLkmA=",
            "$c$3$Lq7zPm2Vx9Rt4Wn0Kb5Hs8Yd1Fc6Ga3J=",
            "$c$3$Rk2Pz8Qw5Lm0Vn3Xt7Hb4Yc9Fd6Gs1J=",
            "$c$3$Wm9Tq2Lx5Pz8Rn0Vk3Hb7Yd4Fc1Gs6J=",
            "gd-st-ro-2026",
            "gd-st-trap",
            "$c$3$Ht5Qm8Lz2Px0Rw7Vn4Kb9Yd3Fc6Gs1J=",
            "$c$3$Zb3Wq9Lm6Px2Rt8Vn5Hk0Yd7Fc4Gs1J=",
            "$c$3$Pn8Lw3Qz6Rx1Vm9Tk2Hb5Yd0Fc7Gs4J=",
            "$h$6$Kq2Lm8Pz5Rx0Vw3T$Hb7Yd4Fc1Gs6Jn9Qz2Lm8Pz5Rx0Vw3THb7Yd4Fc1Gs6Jn9Qz2Lm8Pz5Rx0Vw3T"
            "Hb7Yd4Fc1Gs6Jn9A==",
            "$h$6$Tz4Rq9Lm1Px6Vw0K$Nb3Yd8Fc5Gs2Jn7Qz4Rq9Lm1Px6Vw0KNb3Yd8Fc5Gs2Jn7Qz4Rq9Lm1Px6Vw0K"
            "Nb3Yd8Fc5Gs2Jn7B==",
            "$c$3$Vx6Lq1Pz9Rm4Tw8Kb2Hn5Yd0Fc7Gs3J=",
            "$c$3$Qw3Zm7Lx0Pt5Rn9Vk1Hb6Yd2Fc8Gs4J=",
            "$c$3$Mx5Qz0Lw8Pr3Vt6Kn9Hb1Yd4Fc7Gs2J=",
            "$h$6$Wn1Qz7Lm4Px9Rv2K$Tb6Yd3Fc0Gs8Jn5Wn1Qz7Lm4Px9Rv2KTb6Yd3Fc0Gs8Jn5Wn1Qz7Lm4Px9Rv2K"
            "Tb6Yd3Fc0Gs8Jn5C==",
            "Ftp@Gd2026",
            "$c$3$Fz2Lq8Pw5Rx1Vm7Tk0Hb4Yd9Gc3Ns6J=",
        ),
        counts={
            "local-user-password": 2,
            "super-password": 1,
            "user-line-password": 1,
            "snmp-community": 2,
            "snmp-trap-community": 1,
            "snmp-usm-auth-key": 1,
            "snmp-usm-priv-key": 1,
            "aaa-scheme-key": 2,
            "aaa-server-key": 2,
            "routing-auth-key": 2,
            "vrrp-auth-key": 1,
            "ntp-key": 1,
            "ike-keychain-key": 1,
            "ppp-password": 1,
            "wlan-psk": 1,
        },
        kept=(
            "   30819F30 0D06092A 864886F7 0D010101 05000381 8D003081 89028181 00C3D1E4",
            " authentication-mode password",
        ),
    ),
    Sample(
        "huawei_vrp/handwritten_s5735_v200r019.txt",
        secrets=(
            "%^%#Wq0Y6S]y@F&Dy(B!7r#P+v~5LgQ}2l(a\\<M;vN%^%#",
            "%^%#]a3;Ks~T2HVp>M$R$^2O1dW9$#K/&Y5xk<W#D%^%#",
            "$1a$P#3J>gN~G7$Kp=h,Y(bxE:Qfq)4w0X.^[uU@Cz|sT'm<n@;A3$",
            "$1a$Ds`0d>2i{o$x<Qh8L5'R#m;Vj~bk_E9u+yT/0!|tn:]GwAW$",
            "%^%#k;9t+h'4Q6W]u9=T|z#>nX\"jR0]q4y$,o!W2b%^%#",
            "%^%#vY(s[Ck7!gM>qL3;~a/P0u#Zw*Ff_DnQ@%^%#",
            "%^%#8Hg^aN=!2/Zm|:TfV0;k3@Xw,e~rP<b]%^%#",
            "%^%#Tz6>[qLw!g5k|D;H2)V^c=9Bf+u@N%^%#",
            '%^%#h|9W+T0v"Q2D;=bY@xK5~aZn<R(u]%^%#',
            "%^%#F?dH4Yp=L;2Wq+vT@n8E!r]Cx~0k%^%#",
            '%^%#8L]3jP$Q"r>w5T~c0!Xn(V=gB;hU%^%#',
            "%^%#3Lq]8x!W&Zv=0e^7Rk;N%^%#",
            "%^%#Q0^Lw5=h~Z!nD+c7X]3v@P;9%^%#",
            "%^%#K>7uT2@~rW5N!d=Hq;8Z]c0b%^%#",
            "$1a$Vt7%Nw~Rb0$3kq;E<2]jD#o_ZfP,A.5y:gH/X)L8mCrT$",
        ),
        counts={
            "local-user-password": 3,
            "user-interface-password": 1,
            "snmp-community": 2,
            "snmp-trap-community": 1,
            "snmp-usm-auth-key": 1,
            "snmp-usm-priv-key": 1,
            "aaa-shared-key": 2,
            "routing-auth-key": 2,
            "vrrp-auth-key": 1,
            "ntp-key": 1,
        },
        kept=(
            "snmp-agent community complexity-check disable",
            "  authentication-mode hwtacacs local",
            " authentication-mode password",
            "ssh user admin authentication-type password",
            " description to-GD-SZ-FT-AGG01 ",
        ),
    ),
    Sample(
        "huawei_vrp/handwritten_ne40e_v800r011.txt",
        secrets=(
            "$1c$Yt8^Gk#7xJ$Uq0&e3Vd!Zr;9W<Bn~P5h@K|sC.2mA+fLo]$",
            "$1c$3Fg*Lr@q2M$d!7Yk%Xw^Hb0;Ta<Ez~Nn5j+Ru|Ps]Qc$",
            "%@%#r5D;Xv~0k8@Lq!Tz+N2w^gU]mH%@%#",
            "%@%#Zq8!v;3Kd^W0~bR@x+Lm5]Hn%@%#",
            "%@%#4mY^c!0Qw;Z8~Kd@Rv+7Ls]B%@%#",
            "%@%#p2R!x;9Vn^0~Dk@Tz+5Ww]Ma%@%#",
            "%@%#Ln6~Xq!2^Fw;0Rt@Kb+8Yh]Zc%@%#",
            "%@%#Hq3^0!w;Xr8~Lk@Nz+Dv5]Tb%@%#",
            "%@%#Qv7!z^3Wn;0~Kt@Rb+Lx8]Md%@%#",
            "%@%#0Pq~Vn8!Lw;3^Kd@Xz+Rb5]Ht%@%#",
            "%@%#Wd5^Rz!0;Lq8~Xk@Tn+Vb3]Hp%@%#",
            "%@%#Jm2!Tq;7^Zw0~Rk@Dx+Lb9]Nv%@%#",
            "%@%#Bx4~Nq!8;Vz^2Kw@Lr+Td0]Hm%@%#",
        ),
        counts={
            "local-user-password": 2,
            "super-password": 1,
            "snmp-community": 1,
            "snmp-usm-auth-key": 1,
            "snmp-usm-priv-key": 1,
            "routing-auth-key": 2,
            "vrrp-auth-key": 1,
            "bgp-peer-password": 1,
            "ntp-key": 1,
            "pre-shared-key": 1,
            "ppp-password": 1,
        },
        kept=("!Last configuration was updated at 2026-02-27 09:14:52+08:00 by gzadmin",),
    ),
    Sample(
        "zte_zxros/handwritten_zxr10_m6000.txt",
        secrets=(
            "3dNq8Lw2Pz5Rx0Vm",
            "NocRead#2026",
            "$1$Kq2L$8Pz5Rx0Vw3THb7Yd4Fc1G.",
            "8Xw2Lq5Pz0Rm3Vn7",
            "5Tz8Qm1Lw4Px7Rv0",
            "9Kd3Wq6Lz1Px4Rm7",
            "gd-jm-rw-2026",
            "gd-jm-trap-2026",
            "2Hb6Yd9Fc3Gs7Jn1",
            "4Qz8Lm2Px5Rv0Tw3",
            "6Vn0Kb4Hs8Yd2Fc5",
            "7Lq3Pz9Rx1Vm5Tk8",
            "1Gs6Jn0Qz4Lm8Px2",
        ),
        counts={
            "username-password": 2,
            "enable-secret": 1,
            "snmp-community": 2,
            "snmp-host-community": 1,
            "snmp-user-keys": 2,
            "aaa-server-key": 1,
            "radius-group-key": 1,
            "ospf-key": 1,
            "bgp-neighbor-password": 1,
            "ntp-key": 1,
        },
        kept=("    authentication message-digest", "ntp server 10.16.0.1 key 1"),
    ),
)


def removed_pieces(original: str, scrubbed: str) -> list[str]:
    """What each changed line lost; fails if a line changed other than by placeholders."""
    pieces: list[str] = []
    before, after = original.split("\n"), scrubbed.split("\n")
    assert len(before) == len(after), "scrubbing must keep every line"
    for old, new in zip(before, after, strict=True):
        if old == new:
            continue
        assert PLACEHOLDER in new, f"changed without a placeholder: {old!r} -> {new!r}"
        if new.strip() == PLACEHOLDER:  # a line of a block (certificate, private key)
            indent = new[: len(new) - len(new.lstrip())]
            assert old.startswith(indent)
            pieces.append(old.strip())
            continue
        shape = "(.+?)".join(re.escape(part) for part in new.split(PLACEHOLDER))
        match = re.fullmatch(shape, old)
        assert match, f"{old!r} -> {new!r} changed more than its secrets"
        pieces.extend(match.groups())
    return pieces


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.path)
def test_real_sample_loses_every_secret_and_nothing_else(sample: Sample) -> None:
    original = sample.text()
    result = scrub(original, sample.platform)

    assert set(removed_pieces(original, result.text)) == set(sample.secrets)
    for secret in set(sample.secrets) - set(sample.common_words):
        assert secret not in result.text
    for line in sample.kept:
        assert line in original.split("\n"), f"test data: {line!r} not in {sample.path}"
        assert line in result.text.split("\n")
    assert result.by_rule == sample.counts
    assert result.replaced == sum(sample.counts.values())


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.path)
def test_scrubbing_twice_changes_and_counts_nothing(sample: Sample) -> None:
    once = scrub(sample.text(), sample.platform)
    twice = scrub(once.text, sample.platform)
    assert twice.text == once.text
    assert twice.replaced == 0
    assert twice.by_rule == {}


def test_every_platform_has_a_real_or_labelled_sample() -> None:
    covered = {s.platform for s in SAMPLES}
    assert covered == set(scrub_platforms()) == {IOS, VRP, CMW, ZTE}
    assert Platform.LINUX not in scrub_platforms()


def test_common_word_secrets_are_gone_from_their_lines() -> None:
    csr = scrub((CONFIGS / "cisco_ios/napalm_csr1000v_15.5.txt").read_text(), IOS).text
    assert "enable password <removed>" in csr
    assert "username cisco privilege 15 password 0 <removed>" in csr
    assert "password 0 cisco" not in csr
    asr = scrub((CONFIGS / "cisco_ios/oxidized_asr920_16.8.1b.txt").read_text(), IOS).text
    assert "enable secret 5 password" not in asr
    assert "username root secret 5 <removed>" in asr
