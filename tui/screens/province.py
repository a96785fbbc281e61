"""The province at a glance: the region tree beside the devices of the selected region."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Tree

from core.model import Status
from core.state.views import RegionNode
from tui.client import ApiError, NocApiClient
from tui.messages import OpenDevice
from tui.palette import STATUS_STYLE
from tui.screens.refreshing import RefreshingScreen
from tui.screens.topology import OpenTopology
from tui.units import format_time
from tui.widgets.device_table import DeviceTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.region_tree import RegionTree
from tui.widgets.status_line import StatusLine


class ProvinceScreen(RefreshingScreen):
    CSS_PATH = "province.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("r", "refresh", "Refresh"),
        Binding("t", "topology", "Topology"),
        Binding("!", "app.alerts", "Alerts"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, client: NocApiClient, refresh_interval_s: float) -> None:
        super().__init__(client, refresh_interval_s)
        self._devices_for: str | None = None
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield RegionTree(id="regions")
            with Vertical(id="devices-pane"):
                yield DeviceTable(id="devices")
                yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def region_tree(self) -> RegionTree:
        return self.query_one(RegionTree)

    @property
    def device_table(self) -> DeviceTable:
        return self.query_one(DeviceTable)

    def on_mount(self) -> None:
        self.sub_title = "province"
        self.region_tree.border_title = "regions"
        self.device_table.border_title = "devices"
        self.device_table.focus()
        self.start_refreshing()

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self._load_regions()

    @work(exclusive=True, group="province-regions", exit_on_error=False)
    async def _load_regions(self) -> None:
        try:
            health = await self._client.health()
            regions = await self._client.region_tree()
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._now = health.time
        self.region_tree.show(regions)
        code = self.region_tree.selected_code
        if code is not None:
            self._follow(code)

    def _follow(self, code: str) -> None:
        # Noted before the worker starts, so a highlight of the same region does not ask twice.
        self._devices_for = code
        self._load_devices(code)

    @work(exclusive=True, group="province-devices", exit_on_error=False)
    async def _load_devices(self, code: str) -> None:
        try:
            devices = await self._client.devices(region=code)
        except ApiError as exc:
            self._problems.failed(exc)
            return
        if self.region_tree.selected_code != code:
            return  # the operator moved on while this was on its way
        self.device_table.show(devices, self._now)
        self._problems.recovered()
        self._show_status()

    @on(Tree.NodeHighlighted, "#regions")
    def _region_highlighted(self, event: Tree.NodeHighlighted[RegionNode]) -> None:
        region = event.node.data
        if region is None:
            return
        self.device_table.border_title = f"devices · {region.name} {region.code}"
        if region.code != self._devices_for:
            self._follow(region.code)

    def _show_status(self) -> None:
        node = self.region_tree.node_for(self.region_tree.selected_code or "")
        region = node.data if node is not None else None
        line = Text()
        if region is not None:
            counts = region.devices
            line.append(f"{region.name} {region.code}: {counts.total} devices")
            for status in Status:
                count = getattr(counts, status.value)
                if count:
                    line.append(f" · {count} {status.value}", STATUS_STYLE[status])
        table = self.device_table
        if table.filter_text:
            line.append(
                f"   filter '{table.filter_text}': {len(table.shown_keys)}/{table.total_rows}"
            )
        line.append(f"   updated {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ navigation

    def select_region(self, code: str) -> bool:
        """Put the tree's cursor on ``code`` (the device table follows); False if unknown."""
        if not self.region_tree.select_code(code):
            return False
        self.region_tree.focus()
        return True

    def action_topology(self) -> None:
        """The topology of the region chosen in the tree."""
        code = self.region_tree.selected_code
        if code is not None:
            self.post_message(OpenTopology(code))

    @on(DataTable.RowSelected, "#devices")
    def _device_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(OpenDevice(event.row_key.value))

    # ------------------------------------------------------------------ filter

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def action_clear_filter(self) -> None:
        bar = self.query_one(FilterBar)
        if bar.is_open or self.device_table.filter_text:
            bar.close()
            self._apply_filter("")

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    @on(FilterBar.Cleared)
    def _filter_cleared(self) -> None:
        self._apply_filter("")
        self.device_table.focus()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        self.device_table.focus()

    def _apply_filter(self, text: str) -> None:
        self.device_table.set_filter(text)
        self._show_status()
