"""The region tree: province → cities → counties, each coloured by the worst status below it.

Labels read ``● 广州市 440100  3 · 1 down · 1 deg``: the Chinese name (as operators know it), the
GB/T 2260 code (as tickets and the API name it), then how many devices there are below it and how
many of them are not well (abbreviated: the tree is narrow and counties sit deep in it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from core.model import Status
from core.state.views import RegionNode
from tui.palette import STATUS_MARK, STATUS_STYLE

_NOT_WELL = ((Status.DOWN, "down"), (Status.DEGRADED, "deg"), (Status.UNKNOWN, "unk"))


def region_label(region: RegionNode) -> Text:
    style = STATUS_STYLE[region.status]
    label = Text.assemble(
        (f"{STATUS_MARK} ", style),
        (region.name, style),
        " ",
        (region.code, "bright_black"),
        (f"  {region.devices.total}", "bright_black"),
    )
    for status, short in _NOT_WELL:
        count = getattr(region.devices, status.value)
        if count:
            label.append(f" · {count} {short}", STATUS_STYLE[status])
    return label


def _walk(regions: Sequence[RegionNode]) -> Iterator[RegionNode]:
    for region in regions:
        yield region
        yield from _walk(region.children)


def _shape(regions: Sequence[RegionNode]) -> list[tuple[str, str | None]]:
    return [(r.code, r.parent) for r in _walk(regions)]


class RegionTree(Tree[RegionNode]):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("regions", id=id)
        self.show_root = False
        self.guide_depth = 3
        self._by_code: dict[str, TreeNode[RegionNode]] = {}
        self._shape: list[tuple[str, str | None]] = []

    @property
    def selected_code(self) -> str | None:
        node = self.cursor_node
        return node.data.code if node is not None and node.data is not None else None

    def node_for(self, code: str) -> TreeNode[RegionNode] | None:
        return self._by_code.get(code)

    def show(self, regions: Sequence[RegionNode]) -> None:
        """Update labels in place; rebuild (keeping the cursor and what was open) when regions
        came or went."""
        if _shape(regions) == self._shape:
            for region in _walk(regions):
                node = self._by_code[region.code]
                node.data = region
                node.set_label(region_label(region))
            return
        keep = self.selected_code
        opened = {code for code, node in self._by_code.items() if node.is_expanded}
        first_time = not self._by_code
        self.clear()
        self._by_code = {}
        self._add(self.root, regions, opened, first_time)
        self._shape = _shape(regions)
        target = keep if keep in self._by_code else (regions[0].code if regions else None)
        if target is not None:
            self.select_code(target)

    def _add(
        self,
        parent: TreeNode[RegionNode],
        regions: Sequence[RegionNode],
        opened: set[str],
        first_time: bool,
    ) -> None:
        for region in regions:
            # First time the province is open (its cities show); later, what the operator chose.
            expand = region.parent is None if first_time else region.code in opened
            node = parent.add(
                region_label(region),
                data=region,
                expand=expand,
                allow_expand=bool(region.children),
            )
            self._by_code[region.code] = node
            self._add(node, region.children, opened, first_time)

    def select_code(self, code: str) -> bool:
        """Open the way to region ``code`` and put the cursor on it; False when unknown."""
        node = self._by_code.get(code)
        if node is None:
            return False
        ancestor = node.parent
        while ancestor is not None:
            ancestor.expand()
            ancestor = ancestor.parent
        _ = self.last_line  # lay the lines out now, so the node knows its line
        self.move_cursor(node)
        return True
