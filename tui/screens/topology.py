"""``:topology [CODE]``: a city and its counties at a glance. Left, the tree (see
:mod:`tui.widgets.topology_tree`): the city's node with its uplinks to the cores, each county
with its failover state and its primary and backup links, coloured by status; right, the region's
single points of failure, and below them what the line under the cursor stands for, in words.

Enter on a region opens its own topology, on a device the device; ``i`` asks what the failure of
the device, link or single point under the cursor would cost. The API shows only what the user
may see: a region outside their scope answers as unknown, and the screen says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Tree

from core.security.permissions import Permission
from core.security.scope import is_region_code, narrowest
from tui.client import ApiError, NocApiClient
from tui.commands import CommandError
from tui.messages import OpenDevice
from tui.screens.impact import ImpactScreen
from tui.screens.refreshing import RefreshingScreen
from tui.session import Session
from tui.topology_models import (
    ElementRef,
    FailoverState,
    LinkStatus,
    RedundancyFinding,
    RegionTopology,
    SiteFailover,
)
from tui.units import format_time
from tui.widgets.status_line import StatusLine
from tui.widgets.topology_detail import TopologyDetail, describe, describe_finding
from tui.widgets.topology_palette import FAILOVER_STYLE, LINK_STYLE
from tui.widgets.topology_spof_table import SpofTable
from tui.widgets.topology_tree import ItemKind, TopologyItem, TopologyTree, topology_lines

_BELOW = {"province": "city", "city": "county"}
"""What the regions directly below a region of each level are called."""


def _count(n: int, noun: str) -> str:
    """``1 county``, ``3 counties``."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"


class OpenTopology(Message):
    """Show the topology of region ``code``, with the cursor on region ``select`` if given.

    Kept beside the screen it opens: the failover board and the province screen post it."""

    def __init__(self, code: str, select: str | None = None) -> None:
        super().__init__()
        self.code = code
        self.select = select

    def region_for(self, session: Session) -> str:
        """The region asked for; when it is not the user's to see but the region to select is
        (a county's technician following a county of theirs to its city), that region."""
        code, select, inventory = self.code, self.select, Permission.READ_INVENTORY
        if select and not session.can(inventory, code) and session.can(inventory, select):
            return select
        return code


def region_for_command(argument: str | None, chosen: str | None, session: Session) -> str:
    """What ``:topology`` shows: the code given, else the region chosen on the province screen
    (``chosen``), else the user's one inventory scope; :class:`CommandError` when none."""
    code = argument or chosen
    if code is None:
        scopes = narrowest(session.scopes_for(Permission.READ_INVENTORY))
        code = next(iter(scopes)) if len(scopes) == 1 else None
    if code is None:
        raise CommandError("which region? try :topology 440100")
    if not is_region_code(code):
        raise CommandError(f"'{code}' is not a region code; try :topology 440100")
    return code


class TopologyScreen(RefreshingScreen):
    CSS_PATH = "topology.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
        Binding("i", "impact", "Impact"),
    ]

    def __init__(
        self,
        client: NocApiClient,
        code: str,
        refresh_interval_s: float,
        select: str | None = None,
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.code = code
        """The region shown."""
        self._select = select
        self.topology: RegionTopology | None = None
        self._sites: dict[str, SiteFailover] = {}
        self._findings: list[RedundancyFinding] = []
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield TopologyTree(id="tree")
            with Vertical(id="side"):
                yield SpofTable(id="spof")
                yield TopologyDetail("", id="detail")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def topology_tree(self) -> TopologyTree:
        return self.query_one(TopologyTree)

    @property
    def spof(self) -> SpofTable:
        return self.query_one(SpofTable)

    def on_mount(self) -> None:
        self.sub_title = f"topology · {self.code}"
        self.topology_tree.border_title = f"topology · {self.code}"
        self.spof.border_title = "single points of failure"
        self.query_one(TopologyDetail).border_title = "under the cursor"
        self.topology_tree.focus()
        self.start_refreshing()

    def action_back(self) -> None:
        self.dismiss()

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="topology", exit_on_error=False)
    async def _load(self) -> None:
        try:
            topology = await self._client.region_topology(self.code)
            board = await self._client.failover_board(region=self.code, all_sites=True)
            findings = await self._client.single_points_of_failure(region=self.code)
        except ApiError as exc:
            if exc.not_found:
                self._not_found(exc)
            self._problems.failed(exc)
            return
        self.topology, self._findings, self._now = topology, findings, topology.as_of
        self._sites = {site.device_id: site for site in board.sites}
        region = topology.region
        self.sub_title = f"topology · {region.name} {region.code}"
        self.topology_tree.border_title = f"{region.name} {region.code} · {region.level}"
        self.topology_tree.show(topology_lines(topology, self._sites, self._now))
        if self._select is not None:
            self.topology_tree.select_region(self._select)
            self._select = None  # once: later refreshes leave the cursor where the user put it
        self.spof.show(findings)
        self.spof.border_title = f"single points of failure · {len(self._findings)}"
        self._problems.recovered()
        self._show_detail()
        self._show_status()

    def _not_found(self, exc: ApiError) -> None:
        message = f"no region {self.code} in your regions ({exc.message})"
        self.query_one(TopologyDetail).update(Text(f"✗ {message}", style="red"))

    def _show_status(self) -> None:
        topology = self.topology
        if topology is None:
            return
        region = topology.region
        line = Text(f"{region.name} {region.code}")
        if topology.children:
            below = _count(len(topology.children), _BELOW.get(region.level, "region"))
            line.append(f": {below}")
        states = [c.failover for c in topology.children]
        for state in (FailoverState.ISOLATED, FailoverState.ON_BACKUP):
            if states.count(state):
                line.append(f" · {states.count(state)} {state.words}", FAILOVER_STYLE[state])
        down = sum(1 for link in topology.links if link.status is LinkStatus.DOWN)
        if down:
            line.append(f" · {_count(down, 'link')} down", LINK_STYLE[LinkStatus.DOWN])
        line.append(f"   as of {format_time(topology.as_of)}")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ the cursor

    @on(Tree.NodeHighlighted, "#tree")
    def _line_highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowHighlighted, "#spof")
    def _finding_highlighted(self) -> None:
        self._show_detail()

    def on_descendant_focus(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """What is under the cursor of the pane with the focus, in words."""
        item = self.topology_tree.selected
        if self.topology is None:
            return
        finding = self.spof.selected
        if self.spof.has_focus and finding is not None:
            names = self.topology.region_names()
            self.query_one(TopologyDetail).update(describe_finding(finding, names))
        elif item is not None:
            detail = describe(item, self.topology, self._sites, self._now)
            self.query_one(TopologyDetail).update(detail)

    @on(Tree.NodeSelected, "#tree")
    def _line_chosen(self, event: Tree.NodeSelected[TopologyItem]) -> None:
        item = event.node.data
        if item is None:
            return
        if item.kind is ItemKind.REGION and item.id != self.code:
            self.post_message(OpenTopology(item.id))
        elif item.kind is ItemKind.DEVICE:
            self.post_message(OpenDevice(item.id))

    def _element(self) -> ElementRef | None:
        """The what-if's subject: the single point under the cursor (in the list), else the
        link, device or one-device region under the tree's cursor."""
        if self.spof.has_focus:
            finding = self.spof.selected
            return finding.element if finding else None
        item = self.topology_tree.selected
        return item.element if item else None

    def action_impact(self) -> None:
        element = self._element()
        if element is None:
            self.notify("choose a link, a device, or a region with one device", title="Impact")
            return
        names = self.topology.region_names() if self.topology else {}
        self.app.push_screen(ImpactScreen(self._client, element, names))
