"""A configuration diff (or a whole configuration), coloured as ``diff -u`` reads in a terminal,
scrollable both ways, with a search that highlights every match and steps between them.

Added lines are green, removed lines red, hunk headers (``@@ -12,4 +12,5 @@``) cyan; context
lines keep the terminal's colour so the changes stand out. Lines never wrap: a configuration's
indentation is its structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.widgets import Static

from core.state.config_views import ConfigDiff, ConfigVersion

LINE_STYLE: dict[str, Style] = {
    "added": Style(color="green"),
    "removed": Style(color="red"),
    "hunk": Style(color="cyan"),
    "context": Style(),
    "text": Style(),
    "note": Style(color="bright_black", italic=True),
}
_PREFIX = {"added": "+", "removed": "-", "context": " ", "hunk": "", "text": "", "note": ""}
MATCH_STYLE = Style(color="black", bgcolor="yellow")
CURRENT_MATCH_STYLE = Style(color="black", bgcolor="bright_yellow", bold=True, underline=True)


@dataclass(frozen=True)
class Match:
    line: int
    start: int
    end: int


class DiffView(ScrollableContainer, can_focus=True):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[tuple[str, str]] = []
        """(kind, text as shown, prefix included)."""
        self._needle = ""
        self._matches: list[Match] = []
        self._current = -1

    def compose(self) -> ComposeResult:
        yield Static("", id="diff-text")

    # ------------------------------------------------------------------ content

    @property
    def lines(self) -> list[tuple[str, str]]:
        """What is shown: (kind, line with its +/-/space prefix)."""
        return list(self._lines)

    @property
    def text(self) -> Text:
        """What is drawn, highlights included (for tests and for copying)."""
        return self._render_text()

    def show_diff(self, diff: ConfigDiff) -> None:
        lines: list[tuple[str, str]] = [
            (line.kind, _PREFIX[line.kind] + line.text) for line in diff.lines
        ]
        self._set(lines or [("note", "no difference (only lines that change nothing differ)")])

    def show_text(self, version: ConfigVersion, note: str) -> None:
        """A whole configuration (the oldest version has nothing to be compared with)."""
        self._set([("note", note), *(("text", line) for line in version.text.splitlines())])

    def show_message(self, message: str) -> None:
        self._set([("note", message)])

    def _set(self, lines: list[tuple[str, str]]) -> None:
        same = lines == self._lines
        self._lines = lines
        self._find()
        self._draw()
        if not same:
            self.scroll_to(x=0, y=0, animate=False)

    # ------------------------------------------------------------------ search

    @property
    def search_text(self) -> str:
        return self._needle

    @property
    def match_count(self) -> int:
        return len(self._matches)

    @property
    def current_match(self) -> int | None:
        """The index of the match the view is on (0-based), or None without matches."""
        return self._current if self._matches else None

    def search(self, text: str) -> int:
        """Highlight every occurrence of ``text`` (case-insensitive) and go to the first one
        at or below the top of the view; returns how many there are."""
        self._needle = text.casefold()
        self._find()
        if self._matches:
            top = round(self.scroll_y)
            self._current = next((i for i, m in enumerate(self._matches) if m.line >= top), 0)
            self._reveal()
        self._draw()
        return len(self._matches)

    def step(self, forward: bool = True) -> int | None:
        """Go to the next (or previous) match, round the end; the index gone to."""
        if not self._matches:
            return None
        self._current = (self._current + (1 if forward else -1)) % len(self._matches)
        self._reveal()
        self._draw()
        return self._current

    def _find(self) -> None:
        self._matches = []
        self._current = -1
        if not self._needle:
            return
        size = len(self._needle)
        for number, (kind, line) in enumerate(self._lines):
            if kind == "note":
                continue
            folded = line.casefold()
            start = folded.find(self._needle)
            while start >= 0:
                self._matches.append(Match(number, start, start + size))
                start = folded.find(self._needle, start + size)
        if self._matches:
            self._current = 0

    def _reveal(self) -> None:
        match = self._matches[self._current]
        # A third down the view: the lines before the match give it context.
        y = max(0, match.line - self.scrollable_content_region.height // 3)
        width = self.scrollable_content_region.width
        x = 0 if match.end < width else max(0, match.start - width // 3)
        self.scroll_to(x=x, y=y, animate=False)

    # ------------------------------------------------------------------ drawing

    def _render_text(self) -> Text:
        rendered: list[Text] = []
        for kind, line in self._lines:
            rendered.append(Text(line, style=LINE_STYLE[kind]))
        for index, match in enumerate(self._matches):
            style = CURRENT_MATCH_STYLE if index == self._current else MATCH_STYLE
            rendered[match.line].stylize(style, match.start, match.end)
        text = Text("\n").join(rendered)
        text.no_wrap = True
        text.overflow = "ignore"
        return text

    def _draw(self) -> None:
        self.query_one("#diff-text", Static).update(self._render_text())
