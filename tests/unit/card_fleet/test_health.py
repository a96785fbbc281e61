"""Fleet health: known answers on a hand-built fleet, the outlier and silence edges, roll-ups to
city and province, and the time budget for 20,000 terminals over 122 counties."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from card_fleet.fleet_status import TerminalStatus
from card_fleet.health import (
    AreaLevel,
    FleetHealthSettings,
    FleetMember,
    SilentTerminal,
    compute_fleet_health,
)
from card_fleet.model import PsamStatus, Terminal, TerminalKind, TerminalState

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
A, P, S, R, G, L = (
    TerminalState.ACTIVE,
    TerminalState.PROVISIONED,
    TerminalState.SUSPENDED,
    TerminalState.RETIRED,
    TerminalState.REGISTERED,
    TerminalState.LOST,
)
OK, MISSING, ERROR = PsamStatus.OK, PsamStatus.MISSING, PsamStatus.ERROR


def status(
    terminal_id: str,
    county: str,
    *,
    ago_s: float,
    reads: int,
    failures: int,
    psam: PsamStatus = OK,
    firmware: str = "2.1",
    parameter: str = "P7",
) -> TerminalStatus:
    return TerminalStatus(
        terminal_id=terminal_id,
        county=county,
        city=county[:4] + "00",
        last_seen_at=NOW - timedelta(seconds=ago_s),
        reader_present=True,
        psam_status=psam,
        firmware_version=firmware,
        parameter_version=parameter,
        blacklist_version="B1",
        uptime_s=3600,
        free_storage_mb=512,
        unsent_transactions=0,
        window_reads=reads,
        window_failures=failures,
    )


def member(terminal_id: str, county: str, state: TerminalState) -> FleetMember:
    return FleetMember(terminal_id, county, county[:4] + "00", state)


# County 440103 (city 440100): eligible rates 0, 0.1, 0.3 → median 0.1, bar max(0.1, 0.3) = 0.3.
# County 440104 (city 440100): eligible rates 0, 0.1, 0, 0.05 → median 0.025, bar 0.1.
# County 440203 (city 440200): one eligible terminal at 0.9 → bar 2.7, never an outlier.
MEMBERS = [
    member("T1", "440103", A),
    member("T2", "440103", A),
    member("T3", "440103", A),
    member("T4", "440103", A),
    member("T5", "440103", A),
    member("T6", "440103", P),
    member("T7", "440103", S),
    member("T8", "440103", R),
    member("U1", "440104", A),
    member("U2", "440104", A),
    member("U3", "440104", A),
    member("U4", "440104", A),
    member("U5", "440104", G),
    member("U6", "440104", L),
    member("V1", "440203", A),
    member("V2", "440203", P),
]
STATUSES = [
    status("T1", "440103", ago_s=60, reads=100, failures=0),
    status("T2", "440103", ago_s=300, reads=90, failures=10),  # exactly at the silence bound
    status("T3", "440103", ago_s=301, reads=14, failures=6, psam=MISSING, firmware="2.0"),
    status("T4", "440103", ago_s=30, reads=10, failures=9, psam=ERROR, parameter="P6"),
    status("T7", "440103", ago_s=10, reads=0, failures=50, psam=ERROR),  # suspended: not counted
    status("U1", "440104", ago_s=0, reads=40, failures=0),
    status("U2", "440104", ago_s=0, reads=36, failures=4, firmware="2.0"),
    status("U3", "440104", ago_s=0, reads=20, failures=0, firmware="2.0", parameter="P6"),
    status("U4", "440104", ago_s=0, reads=19, failures=1, parameter="P6"),
    status("V1", "440203", ago_s=0, reads=10, failures=90),
]


def states(**counts: int) -> dict[TerminalState, int]:
    return {state: counts.get(state.value, 0) for state in TerminalState}


def test_a_county_s_figures_are_the_hand_computed_ones() -> None:
    health = compute_fleet_health(STATUSES, MEMBERS, NOW)
    county = health.counties["440103"]
    assert county.level is AreaLevel.COUNTY
    assert county.city == "440100"
    assert county.by_state == states(active=5, provisioned=1, suspended=1, retired=1)
    assert county.terminals == 8
    assert (county.active, county.online) == (5, 3)
    assert county.online_share == pytest.approx(3 / 5)
    assert county.silent == (
        SilentTerminal("T3", NOW - timedelta(seconds=301)),
        SilentTerminal("T5", None),
    )
    assert (county.card_reads, county.card_read_failures) == (214, 25)
    assert county.read_failure_rate == pytest.approx(25 / 239)
    (outlier,) = county.outliers
    assert (outlier.terminal_id, outlier.reads, outlier.failures) == ("T3", 14, 6)
    assert (outlier.failure_rate, outlier.county_median_rate) == pytest.approx((0.3, 0.1))
    assert (county.psam_missing, county.psam_error, county.psam_failures) == (1, 1, 2)
    assert county.firmware_versions == {"2.1": 3, "2.0": 1}
    assert county.parameter_versions == {"P7": 3, "P6": 1}
    assert (county.majority_firmware, county.majority_parameter) == ("2.1", "P7")
    assert (county.firmware_drift, county.parameter_drift, county.version_drift) == (1, 1, 2)
    assert county.off_target == 0


def test_the_minimum_rate_binds_when_the_county_median_is_low_and_a_tie_picks_the_later_name() -> (
    None
):
    county = compute_fleet_health(STATUSES, MEMBERS, NOW).counties["440104"]
    assert county.by_state == states(active=4, registered=1, lost=1)
    assert (county.active, county.online, county.online_share, county.silent) == (4, 4, 1.0, ())
    assert (county.card_reads, county.card_read_failures) == (115, 5)
    assert [o.terminal_id for o in county.outliers] == ["U2"]  # exactly 10 %: inclusive
    assert county.outliers[0].county_median_rate == pytest.approx(0.025)
    assert county.firmware_versions == {"2.1": 2, "2.0": 2}
    assert (county.majority_firmware, county.majority_parameter) == ("2.1", "P7")
    assert (county.firmware_drift, county.parameter_drift, county.version_drift) == (2, 2, 3)


def test_a_county_whose_only_terminal_fails_has_no_outlier_but_its_rate_says_so() -> None:
    county = compute_fleet_health(STATUSES, MEMBERS, NOW).counties["440203"]
    assert county.outliers == ()
    assert county.read_failure_rate == pytest.approx(0.9)
    assert (county.active, county.online, county.terminals) == (1, 1, 2)


def test_a_city_is_the_sum_of_its_counties_and_the_province_the_sum_of_its_cities() -> None:
    health = compute_fleet_health(STATUSES, MEMBERS, NOW)
    assert set(health.cities) == {"440100", "440200"}
    city = health.cities["440100"]
    assert (city.level, city.code, city.city) == (AreaLevel.CITY, "440100", "440100")
    assert city.by_state == states(
        active=9, provisioned=1, suspended=1, retired=1, registered=1, lost=1
    )
    assert (city.terminals, city.active, city.online) == (14, 9, 7)
    assert city.online_share == pytest.approx(7 / 9)
    assert [s.terminal_id for s in city.silent] == ["T3", "T5"]
    assert (city.card_reads, city.card_read_failures) == (329, 30)
    assert city.read_failure_rate == pytest.approx(30 / 359)
    assert [o.terminal_id for o in city.outliers] == ["T3", "U2"]
    assert (city.psam_missing, city.psam_error) == (1, 1)
    assert city.firmware_versions == {"2.1": 5, "2.0": 3}
    assert (city.firmware_drift, city.parameter_drift, city.version_drift) == (3, 3, 5)

    assert set(health.provinces) == {"440000"}
    province = health.provinces["440000"]
    assert (province.level, province.city) == (AreaLevel.PROVINCE, None)
    assert (province.terminals, province.active, province.online) == (16, 10, 8)
    assert province.online_share == pytest.approx(0.8)
    assert (province.card_reads, province.card_read_failures) == (339, 120)
    assert province.read_failure_rate == pytest.approx(120 / 459)
    assert province.firmware_versions == {"2.1": 6, "2.0": 3}
    assert province.version_drift == 5
    assert province.by_state[TerminalState.PROVISIONED] == 2


def test_terminals_off_their_rollout_target_are_counted() -> None:
    def targets(terminal_id: str, county: str, city: str) -> tuple[str | None, str | None]:
        if county == "440103":
            return "2.1", None
        return None, "P7" if terminal_id == "U4" else None

    health = compute_fleet_health(STATUSES, MEMBERS, NOW, targets=targets)
    assert health.counties["440103"].off_target == 1  # T3 on 2.0
    assert health.counties["440104"].off_target == 1  # U4 on P6
    assert health.provinces["440000"].off_target == 2


@pytest.mark.parametrize(
    ("reads", "failures", "outlier"),
    [
        (18, 2, True),  # 20 attempts at exactly 10 %
        (17, 2, False),  # 19 attempts: too few to judge
        (0, 20, True),  # a reader failing every read has no successful read: still judged
        (181, 19, False),  # 9.5 %: under the minimum rate
    ],
)
def test_the_outlier_bounds_are_inclusive_and_count_attempts(
    reads: int, failures: int, outlier: bool
) -> None:
    members = [member(f"H{i}", "440105", A) for i in range(3)] + [member("X", "440105", A)]
    statuses = [status(f"H{i}", "440105", ago_s=0, reads=100, failures=0) for i in range(3)]
    statuses.append(status("X", "440105", ago_s=0, reads=reads, failures=failures))
    county = compute_fleet_health(statuses, members, NOW).counties["440105"]
    assert [o.terminal_id for o in county.outliers] == (["X"] if outlier else [])


def test_three_times_the_median_is_the_bar_once_it_is_above_the_minimum_rate() -> None:
    # Rates 0.2, 0.2, 0.2, 0.59, 0.6: median 0.2, bar 0.6.
    rates = {"M1": (80, 20), "M2": (80, 20), "M3": (80, 20), "M4": (41, 59), "M5": (40, 60)}
    members = [member(t, "440106", A) for t in rates]
    statuses = [status(t, "440106", ago_s=0, reads=r, failures=f) for t, (r, f) in rates.items()]
    county = compute_fleet_health(statuses, members, NOW).counties["440106"]
    assert [o.terminal_id for o in county.outliers] == ["M5"]


def test_the_silence_threshold_is_a_setting() -> None:
    settings = FleetHealthSettings(silent_after_s=30)
    county = compute_fleet_health(STATUSES, MEMBERS, NOW, settings).counties["440103"]
    assert county.online == 1  # T4, seen 30 s ago
    assert [s.terminal_id for s in county.silent] == ["T1", "T2", "T3", "T5"]


def test_a_county_without_active_terminals_has_no_shares_or_rates() -> None:
    members = [member("N1", "440107", P), member("N2", "440107", G)]
    county = compute_fleet_health([], members, NOW).counties["440107"]
    assert (county.active, county.online, county.online_share) == (0, 0, None)
    assert county.read_failure_rate is None
    assert (county.majority_firmware, county.version_drift) == (None, 0)


def test_statuses_of_terminals_the_registry_does_not_list_are_ignored() -> None:
    health = compute_fleet_health(STATUSES, MEMBERS[:1], NOW)
    assert set(health.counties) == {"440103"}
    assert health.counties["440103"].card_reads == 100


def test_a_member_is_made_from_a_registry_terminal() -> None:
    terminal = Terminal("T9", "SN9", "K1", TerminalKind.KIOSK, "hall", "440103", "440100", A)
    assert FleetMember.of(terminal) == FleetMember("T9", "440103", "440100", A)


def synthetic_fleet(
    terminals: int, counties: int
) -> tuple[list[FleetMember], list[TerminalStatus]]:
    rng = random.Random(7)
    codes = [f"44{city:02d}{county:02d}" for city in range(1, 22) for county in range(1, 7)]
    codes = codes[:counties]
    members, statuses = [], []
    for index in range(terminals):
        county = codes[index % len(codes)]
        state = A if rng.random() < 0.9 else rng.choice([P, S, R, L, G])
        terminal_id = f"T{county}-{index:05d}"
        members.append(member(terminal_id, county, state))
        if state is A and rng.random() < 0.98:
            attempts = rng.randint(0, 200)
            failures = int(attempts * rng.choice([0.0, 0.01, 0.02, 0.3]))
            statuses.append(
                status(
                    terminal_id,
                    county,
                    ago_s=rng.choice([5, 60, 120, 900, 7200]),
                    reads=attempts - failures,
                    failures=failures,
                    psam=rng.choice([OK] * 30 + [MISSING, ERROR]),
                    firmware=rng.choice(["2.1", "2.1", "2.1", "2.0"]),
                    parameter=rng.choice(["P7", "P7", "P6"]),
                )
            )
    return members, statuses


def test_twenty_thousand_terminals_over_122_counties_take_well_under_a_second() -> None:
    members, statuses = synthetic_fleet(20_000, 122)
    started = time.perf_counter()
    health = compute_fleet_health(statuses, members, NOW, targets=lambda t, c, y: ("2.1", None))
    elapsed_s = time.perf_counter() - started
    assert len(health.counties) == 122
    assert health.provinces["440000"].terminals == 20_000
    assert elapsed_s < 1.0, f"fleet health took {elapsed_s:.3f} s"
