"""The fleet screens' pure parts: health colours at their bounds, the rollout form's waves and
regions, how the API's refusals become the provisioning station's errors, and what the station
says of each."""

from __future__ import annotations

import pytest

from card_fleet.errors import CardRemoved, FleetError, PsamAlreadyBound
from core.errors import NotFound
from tui.api_transport import ApiError, ApiUnavailable
from tui.fleet_registry import translated
from tui.provisioning_advice import NOTHING_WRITTEN, advice_for
from tui.screens.fleet_forms import parse_regions, parse_waves
from tui.widgets.fleet_palette import BAD, FAIR, GOOD, counted, online_style


@pytest.mark.parametrize(
    ("share", "style"),
    [(1.0, GOOD), (0.95, GOOD), (0.9499, FAIR), (0.80, FAIR), (0.7999, BAD), (0.0, BAD)],
)
def test_online_share_is_green_from_95_yellow_from_80_red_below(
    share: float, style: object
) -> None:
    assert online_style(share) == style


def test_no_active_terminal_is_neither_good_nor_bad() -> None:
    assert online_style(None) not in (GOOD, FAIR, BAD)


def test_counts_read_as_words() -> None:
    assert (counted(1, "county", "counties"), counted(2, "county", "counties")) == (
        "1 county",
        "2 counties",
    )
    assert counted(0, "outlier") == "0 outliers"


@pytest.mark.parametrize(
    ("text", "waves"),
    [("10,50,100", (10.0, 50.0, 100.0)), ("25 100", (25.0, 100.0)), ("5%, 100%", (5.0, 100.0))],
)
def test_waves_are_growing_percentages(text: str, waves: tuple[float, ...]) -> None:
    assert parse_waves(text) == waves


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "growing percentages"),
        ("10,ten", "not a list of percentages"),
        ("0,100", "above 0 and at most 100"),
        ("10,150", "above 0 and at most 100"),
        ("50,50", "cumulative"),
    ],
)
def test_waves_that_make_no_sense_say_why(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_waves(text)


def test_regions_are_division_codes() -> None:
    assert parse_regions("440100, 440604") == ("440100", "440604")
    assert parse_regions("") == ()
    with pytest.raises(ValueError, match="gz"):
        parse_regions("440100 gz")


def test_the_apis_refusals_become_the_stations_errors() -> None:
    assert isinstance(translated(ApiError("no terminal T1", 404)), NotFound)
    bound = translated(
        ApiError("PSAM 440103000001 is bound to terminal T440104-0001, outside your regions", 409)
    )
    assert isinstance(bound, PsamAlreadyBound)
    assert (bound.psam_terminal_number, bound.bound_to) == ("440103000001", "T440104-0001")
    refused = translated(ApiError("terminal T1 is active: only a registered one", 409))
    assert type(refused) is FleetError
    other = ApiError("boom", 500)
    assert translated(other) is other


def test_what_the_station_says_when_it_stops() -> None:
    title, advice = advice_for(
        CardRemoved("Virtual PCD 00 01", "reading EF05: the card was removed")
    )
    assert title == "Card removed"
    assert advice.endswith(NOTHING_WRITTEN)
    title, advice = advice_for(ApiUnavailable("timed out"), bound=True)
    assert title == "No answer from the API"
    assert "not confirmed" in advice
    assert NOTHING_WRITTEN not in advice  # it may have been written
