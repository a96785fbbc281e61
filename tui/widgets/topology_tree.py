"""A region at a glance as a tree: the region's node with its uplinks (to the cores, and to the
neighbouring cities' counties it backs up), then each child region with its failover state and its
links out of it — for a county, its primary link to the city and its backup link to a neighbouring
city's node. Links are coloured by status, regions by failover state::

    ● 广州市 440100  gz-core1 up  on primary
    ├── primary  gz-dc1  → gd-dc1-core1 广东省  up  12.0%
    ├── backup   gz-dc2  → gd-dc2-core1 广东省  up  —
    ├── ● 荔湾区 440103  gz-liwan-acc1 up  on backup 12m 5s
    │   ├── primary  gz-liwan-primary  → gz-core1 广州市  down
    │   └── backup   gz-liwan-backup   → fs-core1 佛山市  up  3.1%

A region with one device shows it on its own line; one with several lists them, each with its
links. Refreshes rewrite the labels in place; the tree is rebuilt (keeping the cursor and what was
closed) only when lines come or go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from core.model import LinkRole
from core.security.scope import scope_covers
from tui.palette import STATUS_MARK, STATUS_STYLE, status_text, utilisation_text
from tui.topology_models import (
    FAILOVER_ORDER,
    ElementRef,
    FailoverState,
    LinkStatus,
    RegionTopology,
    SiteFailover,
    TopologyLink,
    TopologyNode,
)
from tui.widgets.topology_palette import (
    DIM,
    FAILOVER_STYLE,
    failover_text,
    failover_words,
    link_status_text,
)

ROLE_STYLE = {LinkRole.PRIMARY: "cyan", LinkRole.BACKUP: "magenta"}
_TIER_RANK = {"dc_interconnect": 0, "province_city": 1, "server_access": 2, "city_county": 3}


class ItemKind(StrEnum):
    REGION = "region"
    DEVICE = "device"
    LINK = "link"


@dataclass(frozen=True)
class TopologyItem:
    """What a line of the tree stands for."""

    kind: ItemKind
    id: str
    """Region code, device id or link id."""
    device_id: str | None = None
    """A region's one device; a link's near end (a link may show under both its ends)."""

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.id}:{self.device_id or ''}"

    @property
    def element(self) -> ElementRef | None:
        """What a what-if asks about: the link, the device, or a region's one device."""
        if self.kind is ItemKind.LINK:
            return ElementRef(kind="link", id=self.id)
        if self.device_id is not None:
            return ElementRef(kind="device", id=self.device_id)
        return None


@dataclass(frozen=True)
class TreeLine:
    item: TopologyItem
    parent: str | None
    """The key of the line above it in the tree (None: the top)."""
    label: Text


def worst(states: Sequence[FailoverState | None]) -> FailoverState | None:
    known = [s for s in states if s is not None]
    return min(known, key=FAILOVER_ORDER.index) if known else None


class _Lines:
    """Builds the tree's lines from one answer."""

    def __init__(
        self, topology: RegionTopology, sites: Mapping[str, SiteFailover], now: datetime | None
    ) -> None:
        self.topology = topology
        self.sites = sites
        self.now = now
        self.lines: list[TreeLine] = []

    def build(self) -> list[TreeLine]:
        root = self.topology.region
        children = self.topology.children
        inside = [c.code for c in children]
        top = self._region(
            root.code, root.name, None, self.topology.nodes_in(root.code), inside, None
        )
        for child in children:
            nodes = self.topology.nodes_in(child.code) or self.topology.nodes_in(
                child.code, exactly=False
            )
            self._region(child.code, child.name, child.failover, nodes, [child.code], top)
        return self.lines

    def _region(
        self,
        code: str,
        name: str,
        failover: FailoverState | None,
        nodes: Sequence[TopologyNode],
        inside: Sequence[str],
        parent: str | None,
    ) -> str:
        """The region's line, then its devices' links out of ``inside`` (out of the region
        itself, or — for the top region — out of every child region); answers the line's key."""
        nodes = sorted(nodes, key=lambda n: (n.failover is None, n.device_id))
        one = nodes[0] if len(nodes) == 1 else None
        item = TopologyItem(ItemKind.REGION, code, one.device_id if one else None)
        state = failover or worst([n.failover for n in nodes])
        self._add(item, parent, self._region_label(code, name, state, nodes))
        for node in nodes:
            under = item.key
            if one is None:
                device = TopologyItem(ItemKind.DEVICE, node.device_id)
                self._add(device, item.key, self._device_label(node))
                under = device.key
            for link in self._links_out(node, inside):
                line = TopologyItem(ItemKind.LINK, link.id, node.device_id)
                self._add(line, under, self._link_label(link, node))
        return item.key

    def _add(self, item: TopologyItem, parent: str | None, label: Text) -> None:
        self.lines.append(TreeLine(item, parent, label))

    def _links_out(self, node: TopologyNode, inside: Sequence[str]) -> list[TopologyLink]:
        def leaves(link: TopologyLink) -> bool:
            far = self.topology.node(link.far_end(node.device_id))
            return far is None or not any(scope_covers(code, far.region) for code in inside)

        out = [link for link in self.topology.links_of(node.device_id) if leaves(link)]
        # Nearest the core first (a city's uplinks before the counties it backs up), primary
        # before backup.
        return sorted(
            out, key=lambda k: (_TIER_RANK.get(k.tier, 9), k.role is not LinkRole.PRIMARY, k.id)
        )

    def _state_words(self, node: TopologyNode) -> Text:
        site = self.sites.get(node.device_id)
        if site is not None:
            return failover_words(site, self.now)
        return failover_text(node.failover) if node.failover else Text("")

    def _region_label(
        self, code: str, name: str, state: FailoverState | None, nodes: Sequence[TopologyNode]
    ) -> Text:
        style: Style | str
        if state is not None:
            style = FAILOVER_STYLE[state]
        elif len(nodes) == 1:
            style = STATUS_STYLE[nodes[0].status]
        else:
            style = DIM
        label = Text.assemble((f"{STATUS_MARK} ", style), (name, "bold"), " ", (code, DIM), "  ")
        if len(nodes) == 1:
            node = nodes[0]
            label.append_text(Text.assemble(node.device_id, " ", status_text(node.status), "  "))
            label.append_text(self._state_words(node))
            if state is not None and state is not node.failover:
                # The node itself is fine, but something below it is not (a province's view).
                label.append(" · below: ", DIM)
                label.append_text(failover_text(state))
        else:
            label.append(f"{len(nodes)} devices", DIM)
            if state is not None:
                label.append("  ")
                label.append_text(failover_text(state))
        return label

    def _device_label(self, node: TopologyNode) -> Text:
        return Text.assemble(
            (f"{STATUS_MARK} ", STATUS_STYLE[node.status]),
            node.device_id,
            " ",
            (node.name, DIM),
            "  ",
            status_text(node.status),
            "  ",
            self._state_words(node),
            (f"  VRRP {node.vrrp}" if node.vrrp else "", DIM),
        )

    def _link_label(self, link: TopologyLink, near: TopologyNode) -> Text:
        far_id = link.far_end(near.device_id)
        far = self.topology.node(far_id)
        label = Text.assemble(
            (f"{link.role.value:<8}", ROLE_STYLE[link.role]),
            f"{link.id}  → ",
            far_id,
            " ",
            (far.region_name if far and far.region_name else "", DIM),
            "  ",
            link_status_text(link.status),
        )
        # A link that is down carries nothing, whatever its last counters said.
        if link.utilisation_percent is not None and link.status is not LinkStatus.DOWN:
            label.append("  ")
            label.append_text(utilisation_text(link.utilisation_percent))
        return label


def topology_lines(
    topology: RegionTopology, sites: Mapping[str, SiteFailover], now: datetime | None
) -> list[TreeLine]:
    """The tree's lines, top to bottom; ``sites``: failover records by device id (for how long
    each has been off its primary path), ``now``: the answer's time."""
    return _Lines(topology, sites, now).build()


class TopologyTree(Tree[TopologyItem]):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("topology", id=id)
        self.show_root = False
        self.auto_expand = False  # Enter opens what the line stands for; space opens or closes
        self.guide_depth = 3
        self._by_key: dict[str, TreeNode[TopologyItem]] = {}
        self._shape: list[tuple[str, str | None]] = []

    @property
    def selected(self) -> TopologyItem | None:
        node = self.cursor_node
        return node.data if node is not None else None

    @property
    def keys(self) -> list[str]:
        """Every line's key, top to bottom."""
        return [key for key, _ in self._shape]

    def label_of(self, key: str) -> str:
        node = self._by_key.get(key)
        return str(node.label) if node is not None else ""

    def show(self, lines: Sequence[TreeLine]) -> None:
        shape = [(line.item.key, line.parent) for line in lines]
        if shape == self._shape:
            for line in lines:
                node = self._by_key[line.item.key]
                node.data = line.item
                node.set_label(line.label)
            return
        keep = self.selected.key if self.selected else None
        closed = {key for key, node in self._by_key.items() if not node.is_expanded}
        self.clear()
        self._by_key = {}
        parents = {line.parent for line in lines}
        for line in lines:
            above = self._by_key[line.parent] if line.parent else self.root
            key = line.item.key
            self._by_key[key] = above.add(
                line.label,
                data=line.item,
                expand=key not in closed,
                allow_expand=key in parents,
            )
        self._shape = shape
        target = keep if keep in self._by_key else (shape[0][0] if shape else None)
        if target is not None:
            self.select_key(target)

    def select_key(self, key: str) -> bool:
        node = self._by_key.get(key)
        if node is None:
            return False
        _ = self.last_line  # lay the lines out now, so the node knows its line
        self.move_cursor(node)
        return True

    def select_region(self, code: str) -> bool:
        """Put the cursor on region ``code``'s line; False when it is not in the tree."""
        key = next(
            (k for k in self._by_key if k.startswith(f"{ItemKind.REGION.value}:{code}:")), None
        )
        return key is not None and self.select_key(key)
