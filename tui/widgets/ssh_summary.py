"""What SSH says of a device or host, above its accounts: identity from the CLI, the pinned host
key (to check by eye against the device's own), a host's services, the last SSH error."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.api_models import DeviceSsh
from tui.units import MISSING, format_age

_KEY = "bright_black"


def _pair(key: str, value: str | None) -> Text:
    return Text.assemble((f"{key} ", _KEY), value or MISSING, "   ")


def ssh_summary(ssh: DeviceSsh, now: datetime | None) -> RenderableType:
    lines: list[Text] = []
    facts = ssh.facts
    if facts is None or facts.last_success_at is None:
        lines.append(Text("no SSH facts collected yet", style=_KEY))
    else:
        lines.append(
            Text.assemble(
                _pair("hostname", facts.hostname),
                _pair("vendor", facts.vendor),
                _pair("model", facts.model),
                _pair("os", facts.os_version),
                _pair("uptime", facts.uptime),
                _pair("collected", format_age(facts.last_success_at, now)),
            )
        )
    if not ssh.host_keys:
        lines.append(Text("no SSH host key pinned yet", style=_KEY))
    for key in ssh.host_keys:
        lines.append(
            Text.assemble(
                ("host key ", _KEY),
                f"{key.key_type} ",
                (key.fingerprint_sha256, "bold"),
                (f"   {key.endpoint} · pinned {format_age(key.first_seen_at, now)}", _KEY),
            )
        )
    if ssh.host_units:
        services = Text("services ", style=_KEY)
        for number, unit in enumerate(ssh.host_units):
            if number:
                services.append(" · ", _KEY)
            services.append(f"{unit.unit} {unit.state.value}", "" if unit.healthy else "red bold")
        lines.append(services)
    if facts is not None and facts.last_error:
        lines.append(
            Text.assemble(
                ("last SSH error ", _KEY),
                (format_age(facts.collected_at, now), "red"),
                (": ", _KEY),
                (facts.last_error, "red"),
            )
        )
    table = Table.grid()
    for line in lines:
        table.add_row(line)
    return table


class SshSummary(Static):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    def show(self, ssh: DeviceSsh, now: datetime | None) -> None:
        self.update(ssh_summary(ssh, now))
