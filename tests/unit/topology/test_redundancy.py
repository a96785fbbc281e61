"""Single points of failure of the toy province, each with its known answer and its sentence."""

from __future__ import annotations

from core.model import DeviceRole, LinkRole
from tests.unit.topology.networks import (
    CHANCHENG,
    DC1,
    DC2,
    FS,
    FS_CORE,
    GZ,
    GZ_CORE,
    HOST1,
    HOST2,
    LIWAN,
    NANHAI,
    NANHAI_ACC,
    PROVINCE,
    TOY_DEVICES,
    TOY_LINKS,
    YUEXIU,
    YUEXIU_ACC,
    make_inventory,
    toy,
)
from topology.graph import build_topology
from topology.model import ElementRef
from topology.redundancy import FindingKind, RedundancyReport, find_single_points_of_failure


def kinds(report: RedundancyReport) -> set[tuple[FindingKind, str, tuple[str, ...]]]:
    return {(f.kind, str(f.element), f.affected_device_ids) for f in report.findings}


def test_articulation_points_bridges_and_shared_paths_of_the_toy_province() -> None:
    report = find_single_points_of_failure(toy())
    assert kinds(report) == {
        (FindingKind.ARTICULATION_POINT, f"device {DC1}", (HOST1,)),
        (FindingKind.ARTICULATION_POINT, f"device {DC2}", (HOST2,)),
        (FindingKind.ARTICULATION_POINT, f"device {GZ_CORE}", (YUEXIU_ACC,)),
        (FindingKind.ARTICULATION_POINT, f"device {FS_CORE}", (NANHAI_ACC,)),
        (FindingKind.BRIDGE, "link gd-dc1-pension1-uplink", (HOST1,)),
        (FindingKind.BRIDGE, "link gd-dc2-pension1-uplink", (HOST2,)),
        (FindingKind.BRIDGE, "link fs-nanhai-primary", (NANHAI_ACC,)),
        (FindingKind.SHARED_PATH, f"device {GZ_CORE}", (YUEXIU_ACC,)),
        (FindingKind.NO_BACKUP_PATH, "link fs-nanhai-primary", (NANHAI_ACC,)),
    }
    assert [f.kind for f in report.findings][:4] == [FindingKind.ARTICULATION_POINT] * 4


def test_each_finding_is_explained_in_a_sentence() -> None:
    findings = {(f.kind, f.element.id): f for f in find_single_points_of_failure(toy()).findings}
    shared = findings[FindingKind.SHARED_PATH, GZ_CORE]
    assert shared.explanation == (
        "The primary and backup paths of 越秀区 440104 (gz-yuexiu-acc1) both pass through "
        "city router gz-core1 (广州市 440100)."
    )
    assert (shared.region, shared.affected_region_codes) == (GZ, (YUEXIU,))
    bridge = findings[FindingKind.BRIDGE, "fs-nanhai-primary"]
    assert bridge.explanation == (
        "Link fs-nanhai-primary (fs-core1 ↔ fs-nanhai-acc1) is a single point of failure: if it "
        "fails, 1 device in 1 region (南海区 440605) is cut off from the province core: "
        "fs-nanhai-acc1."
    )
    assert bridge.region == NANHAI
    point = findings[FindingKind.ARTICULATION_POINT, GZ_CORE]
    assert point.explanation.startswith("City router gz-core1 (广州市 440100) is a single point")
    assert "越秀区 440104" in point.explanation
    no_backup = findings[FindingKind.NO_BACKUP_PATH, "fs-nanhai-primary"]
    assert no_backup.explanation == (
        "南海区 440605 (fs-nanhai-acc1) has no backup path: every path to the province core "
        "uses its primary link fs-nanhai-primary."
    )


def test_findings_are_listed_under_every_region_they_concern() -> None:
    by_region = find_single_points_of_failure(toy()).by_region()
    assert set(by_region) == {PROVINCE, GZ, FS, YUEXIU, NANHAI}
    assert {f.kind for f in by_region[YUEXIU]} == {
        FindingKind.ARTICULATION_POINT,
        FindingKind.SHARED_PATH,
    }
    assert LIWAN not in by_region
    assert CHANCHENG not in by_region


def test_current_mode_counts_what_is_already_down() -> None:
    # With 荔湾's backup link down, gz-core1 and the primary link now carry it alone.
    report = find_single_points_of_failure(toy(down_links=("gz-liwan-backup",)), current=True)
    current = kinds(report)
    assert (FindingKind.BRIDGE, "link gz-liwan-primary", ("gz-liwan-acc1",)) in current
    assert (
        FindingKind.ARTICULATION_POINT,
        f"device {GZ_CORE}",
        ("gz-liwan-acc1", YUEXIU_ACC),
    ) in current
    as_built = kinds(find_single_points_of_failure(toy(down_links=("gz-liwan-backup",))))
    assert as_built == kinds(find_single_points_of_failure(toy()))


def test_a_device_joined_to_no_core_is_reported() -> None:
    devices = {**TOY_DEVICES, "lost-acc1": (DeviceRole.ACCESS, "gz-liwan", LIWAN, ())}
    links = {**TOY_LINKS, "lost-self": ("lost-acc1", "lost-acc1", LinkRole.PRIMARY)}
    report = find_single_points_of_failure(build_topology(make_inventory(devices, links)))
    (lost,) = [f for f in report.findings if f.kind is FindingKind.UNCONNECTED]
    assert lost.element == ElementRef.device("lost-acc1")
    assert lost.explanation == (
        "County router lost-acc1 in 荔湾区 440103 has no path in the inventory to any province "
        "core."
    )


def test_the_report_serialises_to_plain_json() -> None:
    report = find_single_points_of_failure(toy())
    assert RedundancyReport.model_validate_json(report.model_dump_json()) == report
