"""The alert screen as the operator sees it, compared with an approved screenshot (fixed story,
fixed clock, fixed terminal size). Regenerate with
``pytest tests/unit/tui/test_alert_snapshot.py --snapshot-update`` and look at the SVG before
accepting it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.unit.tui.alert_world import AlertWorld, open_world
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import settle
from tests.unit.tui.test_app import command

SnapCompare = Callable[..., bool]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[AlertWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def liwan_unfolded(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await command(pilot, "alerts")
    await pilot.press("space")  # 荔湾区 cut off: its three consequences under it
    await settle(pilot)


def test_alert_screen(snap_compare: SnapCompare, world: AlertWorld) -> None:
    """Worst first: 荔湾区 cut off (critical, red) unfolded over the switch that does not answer
    and its two county links; 禅城区's primary link (major, orange) folding one consequence; the
    SNMP refusal (minor, yellow) and the configuration change (info, dim); 越秀区's backup link
    pending; the backup failure held by the administrator, dimmed, with the note. Counts on top,
    the alert under the cursor below, a/u/s in the footer."""
    assert snap_compare(world.console(), terminal_size=SIZE, run_before=liwan_unfolded)
