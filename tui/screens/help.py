"""``?``: every key and command, k9s style, on one page."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from core.model import Status
from tui.commands import USAGE
from tui.palette import STATUS_MARK, STATUS_STYLE

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "everywhere",
        (
            ("?", "this help"),
            (":", "command mode (see below)"),
            ("r", "refresh now"),
            ("/", "filter the table as you type; Enter keeps it, Esc clears it"),
            ("escape", "back (or clear the filter first)"),
            ("q  ctrl+c", "quit"),
        ),
    ),
    (
        "moving",
        (
            ("j  down", "next row"),
            ("k  up", "previous row"),
            ("tab  shift+tab", "next / previous pane"),
            ("enter", "open the device (table) · open or close the region (tree)"),
            ("space", "open or close the region (tree)"),
        ),
    ),
    (
        "device",
        (
            ("c", "configuration history: versions, diffs, backup record"),
            ("a", "local accounts, with what SSH says of the device"),
            ("b", "back the configuration up now (asks first; hidden when read-only)"),
        ),
    ),
    (
        "config history",
        (
            ("space", "mark a version; with two marked, the diff compares them"),
            ("/", "search the diff; Enter keeps the search, Esc clears it"),
            ("n  N", "next / previous match"),
            ("tab", "between the versions and the diff (j k and arrows scroll it)"),
            ("escape", "clear the search, then the marks, then back"),
        ),
    ),
    (
        "fleet lists",
        (
            ("enter", "open the device (:backups, :accounts)"),
            ("b", "back the selected device up now (:backups)"),
            ("p", "privileged accounts only, or all again (:accounts)"),
            ("y  n", "answer a confirmation (Esc: no)"),
        ),
    ),
    (
        "failover (:failover)",
        (
            ("a", "every site, or only those on backup or isolated again"),
            ("enter", "the topology of the site's city, the site under the cursor"),
            ("i", "impact: what the failure of the site's node costs (what-if, or now)"),
        ),
    ),
    (
        "topology (t, :topology)",
        (
            ("t", "the topology of the region chosen in the tree (province screen)"),
            ("enter", "open the region or device under the cursor"),
            ("space", "open or close a line of the tree"),
            ("i", "impact of the link, device, county or single point under the cursor"),
            ("tab", "between the tree and the single points of failure"),
        ),
    ),
    (
        "alerts (!, :alerts)",
        (
            ("!", "the live alert list (province screen)"),
            ("space", "unfold the consequences of a root cause, or fold them again"),
            ("enter", "the alert whole: labels, runbook, who holds it, its history"),
            ("a", "ack: take the alert with a note, maybe for a while (30m, 2h)"),
            ("u", "unack: give the alert back, saying why"),
            ("s", "silence: matchers drafted from the alert, for how long, why"),
            ("v", "show the recently resolved too, or hide them again"),
        ),
    ),
    (
        "silences (:silences, :maintenance, :oncall)",
        (("d", "expire the silence under the cursor (asks first)"),),
    ),
    (
        "terminal fleet (:terminals)",
        (
            ("enter", "a city's counties, a county's terminals, then one terminal whole"),
            ("colours", "online share green from 95 %, yellow from 80 %, red below"),
            ("s  u", "suspend / resume the terminal (asks why)"),
            ("l  x", "mark it lost / retire it (asks why, then asks again)"),
            ("p", "release a lost terminal's PSAM binding (security officers; asks why)"),
        ),
    ),
    (
        "rollouts (:rollouts)",
        (
            ("n", "new rollout: component, versions, regions, pilot size, waves like 10,50,100"),
            ("s", "start a draft rollout (asks first)"),
            ("p  u", "pause / resume it (asks why; resuming a halted one overrides its gate)"),
            ("b", "roll it back (asks why, then asks again)"),
        ),
    ),
    (
        "provisioning (:provision)",
        (
            ("p", "provision the terminal through the readers chosen (credential shown once)"),
            ("r", "list the registered terminals and this machine's readers again"),
        ),
    ),
    (
        "users (:users)",
        (
            ("n", "new user: its temporary password is shown once"),
            ("d", "disable or enable the selected user (asks first)"),
            ("u", "unlock a user locked after wrong passwords"),
            ("p", "reset the password: a temporary one, shown once (asks first)"),
            ("g", "grant the selected user a role for a region"),
            ("x", "revoke the grant chosen below the table (tab moves there; asks first)"),
        ),
    ),
    (
        "audit (:audit)",
        (
            ("/", "search: user, object, region, text (Esc on the trail clears it)"),
            ("t", "time range: all, last hour, 24 h, 7 days, 30 days"),
            ("n  p", "older / newer page"),
            ("v", "verify the hash chain: intact, or each problem"),
            ("e", "export the time range to a file (JSON lines)"),
        ),
    ),
    (
        "security (:security)",
        (
            ("s", "sign the access review off (asks first)"),
            ("e", "export the findings shown to a CSV file"),
        ),
    ),
    (
        "login",
        (
            ("enter", "next field, then log in"),
            ("escape", "close a password or search dialog"),
        ),
    ),
)
"""Keys a user may not use are hidden from the footer, and answered with the reason if pressed
anyway; the help lists them all."""


def help_text() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True, min_width=16)
    table.add_column()
    for title, rows in KEYS:
        table.add_row(Text(title, style="bold underline"), "")
        for key, meaning in rows:
            table.add_row(key, meaning)
        table.add_row("", "")
    table.add_row(Text("commands", style="bold underline"), "")
    for usage, meaning in USAGE:
        table.add_row(f":{usage}", meaning)
    table.add_row("", "")
    table.add_row(Text("status", style="bold underline"), "")
    for status in Status:
        table.add_row(
            Text(f"{STATUS_MARK} {status.value}", style=STATUS_STYLE[status]), _MEANING[status]
        )
    return table


_MEANING = {
    Status.UP: "answers, every linked interface up",
    Status.DEGRADED: "answers, but an enabled linked interface is down",
    Status.DOWN: "does not answer",
    Status.UNKNOWN: "not polled yet",
}


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text(), id="help-keys")

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "keys"
        self.query_one("#help").border_subtitle = "escape closes"
