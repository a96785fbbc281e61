"""Who changed a configuration and when, as the device writes it (real headers where we have
them)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.ssh.config_meta import extract_change_author
from core.model import Platform

CONFIGS = Path(__file__).resolve().parents[3] / "data" / "configs"
IOS, VRP = Platform.CISCO_IOS, Platform.HUAWEI_VRP


def test_ios_change_with_author_in_utc() -> None:
    text = "!\n! Last configuration change at 10:22:01 UTC Mon Mar 2 2026 by admin\n!\nend\n"
    assert extract_change_author(text, IOS) == (
        "admin",
        datetime(2026, 3, 2, 10, 22, 1, tzinfo=UTC),
    )


def test_ios_real_sample_in_central_european_summer_time() -> None:
    text = (CONFIGS / "cisco_ios/oxidized_c9200l_17.09.04a.txt").read_text()
    by, at = extract_change_author(text, IOS)
    assert by == "oxidized"
    assert at == datetime(2024, 8, 20, 7, 37, 40, tzinfo=UTC)  # 09:37:40 CEST


def test_ios_real_sample_with_a_numeric_author() -> None:
    text = (CONFIGS / "cisco_ios/oxidized_asr920_16.8.1b.txt").read_text()
    assert extract_change_author(text, IOS) == (
        "123456",
        datetime(2024, 8, 29, 11, 54, 34, tzinfo=UTC),
    )


def test_ios_change_without_author_gives_the_time_only() -> None:
    text = (CONFIGS / "cisco_ios/oxidized_c9800_17.06.05.txt").read_text()
    assert extract_change_author(text, IOS) == (None, datetime(2024, 3, 13, 12, 57, 8, tzinfo=UTC))


def test_ios_nvram_save_is_not_a_change() -> None:
    text = "! NVRAM config last updated at 15:26:39 CET Wed Mar 13 2024 by oxidized\n"
    assert extract_change_author(text, IOS) == (None, None)


def test_ios_cst_is_china_standard_time() -> None:
    text = "! Last configuration change at 08:00:00 CST Tue Mar 3 2026 by gz\n"
    assert extract_change_author(text, IOS) == ("gz", datetime(2026, 3, 3, 0, 0, tzinfo=UTC))


def test_ios_unknown_zone_keeps_the_author_but_not_a_wrong_time() -> None:
    text = "! Last configuration change at 08:00:00 XYZT Tue Mar 3 2026 by gz\n"
    assert extract_change_author(text, IOS) == ("gz", None)


def test_vrp_update_with_offset_and_author() -> None:
    text = (CONFIGS / "huawei_vrp/handwritten_ne40e_v800r011.txt").read_text()
    assert extract_change_author(text, VRP) == (
        "gzadmin",
        datetime(2026, 2, 27, 1, 14, 52, tzinfo=UTC),
    )


def test_vrp_change_made_by_the_device_itself() -> None:
    text = (
        "!Software Version V100R005C10SPC200\r\n"
        "!Last configuration was updated at 2017-03-05 09:40:03+00:00 by SYSTEM automatically\r\n"
        "#\r\n"
    )
    assert extract_change_author(text, VRP) == (
        "SYSTEM automatically",
        datetime(2017, 3, 5, 9, 40, 3, tzinfo=UTC),
    )


def test_vrp_update_without_author() -> None:
    text = "!Last configuration was updated at 2015-05-07 10:18:40+00:00\n#\n"
    assert extract_change_author(text, VRP) == (None, datetime(2015, 5, 7, 10, 18, 40, tzinfo=UTC))


def test_vrp_save_is_not_a_change() -> None:
    text = "!Last configuration was saved at 2024-07-10 16:23:18+00:00\n"
    assert extract_change_author(text, VRP) == (None, None)


@pytest.mark.parametrize(
    ("platform", "path"),
    [
        (Platform.HP_COMWARE, "hp_comware/netutils_comware7_full.txt"),
        (Platform.ZTE_ZXROS, "zte_zxros/handwritten_zxr10_m6000.txt"),
        (VRP, "huawei_vrp/handwritten_s5735_v200r019.txt"),
        (IOS, "cisco_ios/batfish_as2border2.txt"),
    ],
)
def test_configurations_that_do_not_say_give_nothing(platform: Platform, path: str) -> None:
    assert extract_change_author((CONFIGS / path).read_text(), platform) == (None, None)


def test_another_platforms_stamp_is_not_read() -> None:
    text = "! Last configuration change at 10:22:01 UTC Mon Mar 2 2026 by admin\n"
    assert extract_change_author(text, VRP) == (None, None)
