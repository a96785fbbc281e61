"""Root causes: one per group of failures, topmost first, on the toy province."""

from __future__ import annotations

from tests.unit.topology.networks import (
    CHANCHENG_ACC,
    DC1,
    FS_CORE,
    GZ,
    GZ_CORE,
    HOST1,
    LIWAN,
    LIWAN_ACC,
    NANHAI_ACC,
    YUEXIU_ACC,
    toy,
)
from topology.model import ElementRef
from topology.root_cause import RootCauseReport, find_root_causes

# Every link of gz-core1, as the devices at their other ends see them when it dies.
GZ_CORE_LINKS = {
    "gz-dc1",
    "gz-dc2",
    "gz-liwan-primary",
    "gz-yuexiu-primary",
    "gz-yuexiu-backup",
    "fs-chancheng-backup",
}


def test_a_city_router_down_while_its_counties_ride_their_backups_is_one_cause() -> None:
    # 荔湾 answers over its backup; 越秀's two links both end on gz-core1, so it is cut off.
    report = find_root_causes(toy(), {GZ_CORE, YUEXIU_ACC}, GZ_CORE_LINKS)
    (cause,) = report.causes
    assert cause.element == ElementRef.device(GZ_CORE)
    assert cause.region == GZ
    assert cause.consequence_device_ids == (YUEXIU_ACC,)
    assert set(cause.symptom_link_ids) == GZ_CORE_LINKS
    assert cause.explanation.startswith("City router gz-core1 (广州市 440100) is unreachable")
    assert report.cause_of(YUEXIU_ACC) == cause
    assert report.cause_of(GZ_CORE) == cause
    assert report.cause_of(LIWAN_ACC) is None


def test_a_city_router_alone_down_has_no_consequences() -> None:
    report = find_root_causes(toy(), {GZ_CORE}, GZ_CORE_LINKS - {"gz-yuexiu-backup"})
    (cause,) = report.causes
    assert cause.consequence_device_ids == ()
    assert cause.explanation.endswith("nothing else is unreachable because of it.")


def test_city_router_and_the_counties_backup_router_down_give_one_cause_per_city() -> None:
    unreachable = {GZ_CORE, FS_CORE, LIWAN_ACC, YUEXIU_ACC, CHANCHENG_ACC, NANHAI_ACC}
    report = find_root_causes(toy(), unreachable)
    assert [(str(c.element), c.consequence_device_ids) for c in report.causes] == [
        (f"device {FS_CORE}", (CHANCHENG_ACC, NANHAI_ACC)),
        (f"device {GZ_CORE}", (LIWAN_ACC, YUEXIU_ACC)),
    ]
    gz = report.causes[1]
    assert gz.explanation == (
        "City router gz-core1 (广州市 440100) is unreachable; 2 devices unreachable because of it: "
        "gz-liwan-acc1 and gz-yuexiu-acc1 (gz-liwan-acc1 has another path, down as well)."
    )


def test_city_router_and_a_county_backup_link_down_the_county_follows_the_city() -> None:
    # 荔湾 does not answer: its primary path dies at gz-core1, its backup link is seen down from
    # fs-core1. The rule: a consequence of the first failure on its primary path.
    failed = GZ_CORE_LINKS | {"gz-liwan-backup"}
    report = find_root_causes(toy(), {GZ_CORE, LIWAN_ACC, YUEXIU_ACC}, failed)
    (cause,) = report.causes
    assert cause.element == ElementRef.device(GZ_CORE)
    assert cause.consequence_device_ids == (LIWAN_ACC, YUEXIU_ACC)
    assert "gz-liwan-backup" in cause.symptom_link_ids


def test_a_county_that_does_not_answer_under_a_working_city_router_is_its_own_cause() -> None:
    report = find_root_causes(toy(), {LIWAN_ACC}, {"gz-liwan-primary", "gz-liwan-backup"})
    (cause,) = report.causes
    assert cause.element == ElementRef.device(LIWAN_ACC)
    assert cause.region == LIWAN
    assert cause.symptom_link_ids == ("gz-liwan-backup", "gz-liwan-primary")
    assert cause.explanation == (
        "County router gz-liwan-acc1 (荔湾区 440103) is unreachable; links down with it: "
        "gz-liwan-backup and gz-liwan-primary; nothing else is unreachable because of it."
    )


def test_a_county_cut_off_by_its_own_link_under_a_dead_backup_router_is_its_own_cause() -> None:
    # Its primary path is intact up to its own link: nothing upstream explains it.
    report = find_root_causes(toy(), {FS_CORE, LIWAN_ACC, NANHAI_ACC}, {"gz-liwan-primary"})
    assert [(str(c.element), c.consequence_device_ids) for c in report.causes] == [
        (f"device {FS_CORE}", (NANHAI_ACC,)),
        (f"device {LIWAN_ACC}", ()),
    ]


def test_a_link_down_between_two_answering_devices_is_a_cause() -> None:
    report = find_root_causes(toy(), set(), {"gz-liwan-primary"})
    (cause,) = report.causes
    assert cause.element == ElementRef.link("gz-liwan-primary")
    assert cause.symptom_link_ids == ()
    assert cause.explanation == (
        "Link gz-liwan-primary (gz-core1 ↔ gz-liwan-acc1) is down while both its ends answer; "
        "nothing else is unreachable because of it."
    )


def test_a_cut_link_upstream_is_the_cause_of_what_it_isolates() -> None:
    report = find_root_causes(toy(), {NANHAI_ACC}, {"fs-nanhai-primary"})
    (cause,) = report.causes
    # The link touches the unreachable county: the county is the cause, the link its symptom.
    assert cause.element == ElementRef.device(NANHAI_ACC)
    assert cause.symptom_link_ids == ("fs-nanhai-primary",)


def test_a_core_down_takes_its_hosts_and_unknown_ids_are_kept() -> None:
    report = find_root_causes(toy(), {DC1, HOST1, "ghost"}, {"no-such-link"})
    assert [(str(c.element), c.consequence_device_ids) for c in report.causes] == [
        (f"device {DC1}", (HOST1,)),
        ("device ghost", ()),
        ("link no-such-link", ()),
    ]
    assert report.causes[1].region is None


def test_nothing_failed_nothing_to_say() -> None:
    assert find_root_causes(toy(), set()).causes == ()


def test_the_report_serialises_to_plain_json() -> None:
    report = find_root_causes(toy(), {GZ_CORE, YUEXIU_ACC}, GZ_CORE_LINKS)
    assert RootCauseReport.model_validate_json(report.model_dump_json()) == report
