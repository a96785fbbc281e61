"""Impact of one failure, now or what-if, on the toy province."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from tests.unit.topology.networks import (
    CHANCHENG,
    CHANCHENG_ACC,
    DC1,
    FS_CORE,
    GZ,
    GZ_CORE,
    HOST1,
    LIWAN,
    LIWAN_ACC,
    NANHAI,
    NANHAI_ACC,
    TOY_LINKS,
    YUEXIU,
    YUEXIU_ACC,
    toy,
)
from topology.impact import ImpactAnalyser, ImpactReport, impact_of
from topology.model import ElementRef

TERMINALS = {YUEXIU: 30, LIWAN: 20, CHANCHENG: 10, NANHAI: 0}


def test_what_if_a_city_router_fails() -> None:
    report = impact_of(toy(), ElementRef.device(GZ_CORE), TERMINALS)
    assert not report.failed_now
    assert report.region == GZ
    # 越秀 hangs on gz-core1 alone; the city's own region has no device left either.
    assert report.cut_off.device_ids == (YUEXIU_ACC,)
    assert report.cut_off.region_codes == (GZ, YUEXIU)
    assert report.cut_off.terminals == 30
    assert report.cut_off.terminals_by_county == {YUEXIU: 30}
    # 荔湾 and 禅城 still reach the core, each over its one remaining link.
    assert report.loses_redundancy.device_ids == (CHANCHENG_ACC, LIWAN_ACC)
    assert report.loses_redundancy.region_codes == (LIWAN, CHANCHENG)
    assert report.loses_redundancy.terminals == 30
    assert report.explanation == (
        "If city router gz-core1 (广州市 440100) fails: 1 device loses connectivity "
        "(gz-yuexiu-acc1), 广州市 440100 and 越秀区 440104 are cut off, 30 card terminals with "
        "them; 2 devices in 2 regions lose redundancy, left on one path (fs-chancheng-acc1 and "
        "gz-liwan-acc1)."
    )


def test_what_if_a_bridge_fails() -> None:
    report = impact_of(toy(), ElementRef.link("fs-nanhai-primary"))
    assert report.cut_off.device_ids == (NANHAI_ACC,)
    assert report.cut_off.region_codes == (NANHAI,)
    assert report.loses_redundancy.device_ids == ()
    assert report.region == NANHAI


def test_what_if_a_core_fails_takes_its_hosts_and_their_services() -> None:
    report = impact_of(toy(), ElementRef.device(DC1))
    assert report.cut_off.device_ids == (HOST1,)
    assert report.cut_off.service_host_ids == (HOST1,)
    assert report.cut_off.region_codes == ()  # the other core still serves the province region
    assert report.services_unavailable == ("medical-insurance",)
    assert report.services_degraded == ("pension",)
    # Everything the other core still reaches now hangs on it alone.
    assert set(report.loses_redundancy.device_ids) == {GZ_CORE, FS_CORE, LIWAN_ACC, CHANCHENG_ACC}


def test_what_if_a_county_router_fails() -> None:
    report = impact_of(toy(), ElementRef.device(LIWAN_ACC), TERMINALS)
    assert report.cut_off.device_ids == ()
    assert report.cut_off.region_codes == (LIWAN,)
    assert report.explanation == (
        "If county router gz-liwan-acc1 (荔湾区 440103) fails: 荔湾区 440103 is cut off, 20 card "
        "terminals with it; nothing loses redundancy."
    )


def test_a_redundant_link_failing_costs_nothing() -> None:
    report = impact_of(toy(), ElementRef.link("gd-dc1-dc2"))
    assert report.explanation == (
        "If link gd-dc1-dc2 (gd-dc1-core1 ↔ gd-dc2-core1) fails: nothing loses connectivity; "
        "nothing loses redundancy."
    )


def test_a_link_down_now_is_compared_with_the_network_where_it_works() -> None:
    analyser = ImpactAnalyser(toy(down_links=("gz-liwan-primary",)), TERMINALS)
    report = analyser.impact_of(ElementRef.link("gz-liwan-primary"))
    assert report.failed_now
    assert report.cut_off.device_ids == ()
    assert report.loses_redundancy.device_ids == (LIWAN_ACC,)
    assert report.loses_redundancy.terminals == 20
    assert report.explanation.startswith(
        "Link gz-liwan-primary (gz-core1 ↔ gz-liwan-acc1) is down now"
    )
    # A what-if on top of the current failure: the backup link is now 荔湾's last path.
    backup = analyser.impact_of(ElementRef.link("gz-liwan-backup"))
    assert not backup.failed_now
    assert backup.cut_off.device_ids == (LIWAN_ACC,)
    assert backup.cut_off.terminals == 20


def test_a_device_down_now_and_its_consequences() -> None:
    report = impact_of(toy(down_devices=(FS_CORE,)), ElementRef.device(FS_CORE))
    assert report.failed_now
    assert report.cut_off.device_ids == (NANHAI_ACC,)
    assert report.loses_redundancy.device_ids == (CHANCHENG_ACC, LIWAN_ACC)


def test_every_link_one_at_a_time() -> None:
    reports = ImpactAnalyser(toy()).impact_of_each_link()
    assert [r.element.id for r in reports] == sorted(TOY_LINKS)
    cutting = {r.element.id for r in reports if r.cut_off.device_ids}
    assert cutting == {"gd-dc1-pension1-uplink", "gd-dc2-pension1-uplink", "fs-nanhai-primary"}


def test_an_unknown_element_is_not_found() -> None:
    with pytest.raises(NotFound):
        impact_of(toy(), ElementRef.link("nope"))


def test_the_report_serialises_to_plain_json() -> None:
    report = impact_of(toy(), ElementRef.device(GZ_CORE), TERMINALS)
    assert ImpactReport.model_validate_json(report.model_dump_json()) == report
