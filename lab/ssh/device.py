"""One simulated router or switch as its SSH sessions share it: state, logins, changes, outputs.

Sessions of one device share this object (one event loop, so no locks): a hostname or interface
description changed in one session shows in the next, and in the running configuration — which
is what the NOC's config backup must notice. Outputs come from the lab's state or, for the
commands a recordings directory holds, from those files (read at each request, so a test may
change a recording between two collections).

Faults injected into the lab (:mod:`lab.faults`) show through :attr:`SimulatedDevice.fault_view`,
the device as the faults leave it: the outputs see its links' status and traffic and its LLDP
neighbours, laid over the device's own state so that changes made over the CLI still show.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from core.model import Platform
from lab.model import LabDevice
from lab.ssh.command_tree import CommandTree
from lab.ssh.configs import running_config
from lab.ssh.dialects import DIALECTS, Action, CommandSpec, Dialect
from lab.ssh.outputs import OUTPUTS, OutputContext

BEIJING = timezone(timedelta(hours=8), "CST")
_RECORDING_SUFFIXES = (".raw", ".txt", ".out")


@dataclass(frozen=True, slots=True)
class Login:
    password: str
    privilege: int


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How a device misbehaves for tests: slow answers, commands that never answer."""

    command_delay_s: float = 0.0
    hanging_commands: frozenset[str] = frozenset()


def recorded_commands(directory: Path) -> dict[str, Path]:
    """Command → recording: ``display_version.raw`` (or no suffix) or ``display_version/*.raw``
    (the first, as ../shared/cli lays them out); underscores stand for spaces."""
    found: dict[str, Path] = {}
    for entry in sorted(directory.iterdir()):
        if entry.is_dir():
            files = sorted(entry.glob("*.raw")) or sorted(p for p in entry.iterdir() if p.is_file())
            if not files:
                continue
            name, path = entry.name, files[0]
        elif entry.is_file():
            name, path = entry.name, entry
            for suffix in _RECORDING_SUFFIXES:
                name = name.removesuffix(suffix)
        else:
            continue
        found[name.replace("_", " ").strip().lower()] = path
    return found


@dataclass
class SimulatedDevice:
    platform: Platform
    state: LabDevice | None
    """The lab's device; None when every output comes from recordings."""
    hostname: str
    logins: dict[str, Login]
    enable_secret: str | None = None
    recordings: dict[str, Path] = field(default_factory=dict)
    behaviour: Behaviour = Behaviour()
    extra_lines: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)
    fault_view: LabDevice | None = None
    """The device as the lab's faults leave it (links down, traffic moved); None: no fault."""
    _config: str | None = None
    _tree: CommandTree | None = None

    @property
    def dialect(self) -> Dialect:
        return DIALECTS[self.platform]

    @property
    def tree(self) -> CommandTree:
        if self._tree is None:
            specs = [
                spec
                for spec in self.dialect.commands
                if spec.action is not Action.OUTPUT or self.state is not None
            ]
            recorded = {words for words in self.recordings}
            specs = [s for s in specs if s.words.lower() not in recorded]
            specs += [
                CommandSpec(words, Action.RECORDED, str(path))
                for words, path in self.recordings.items()
            ]
            self._tree = CommandTree(specs)
        return self._tree

    def check_login(self, username: str, password: str) -> bool:
        login = self.logins.get(username)
        return login is not None and login.password == password

    def privilege_of(self, username: str) -> int:
        login = self.logins.get(username)
        return login.privilege if login else 0

    def hangs(self, typed: str, spec: CommandSpec | None) -> bool:
        hanging = self.behaviour.hanging_commands
        if not hanging:
            return False
        return " ".join(typed.lower().split()) in hanging or (
            spec is not None and spec.words.lower() in hanging
        )

    def output(self, spec: CommandSpec) -> str:
        if spec.action is Action.RECORDED:
            text = Path(spec.output).read_text(encoding="utf-8", errors="replace")
            return text.replace("\r\n", "\n").rstrip("\n")
        if self.state is None:
            return ""
        renderer = OUTPUTS[self.platform][spec.output]
        return renderer(self._context())

    def _context(self) -> OutputContext:
        assert self.state is not None
        uptime = self.state.uptime_s + int(time.monotonic() - self.started_at)
        return OutputContext(
            self.effective_state(), uptime, datetime.now(BEIJING), self.running_config
        )

    def effective_state(self) -> LabDevice:
        """The state the outputs show: the device's own, with the faults' view laid over it."""
        assert self.state is not None
        view = self.fault_view
        if view is None:
            return self.state
        faulted = view.interface_by_name()
        interfaces = tuple(
            interface.model_copy(
                update={
                    "oper_up": interface.oper_up and seen.oper_up,
                    "in_bytes_per_s": seen.in_bytes_per_s,
                    "out_bytes_per_s": seen.out_bytes_per_s,
                }
            )
            if interface.link is not None and (seen := faulted.get(interface.name)) is not None
            else interface
            for interface in self.state.interfaces
        )
        working = {n.link for n in view.neighbours}
        neighbours = tuple(n for n in self.state.neighbours if n.link in working)
        return self.state.model_copy(update={"interfaces": interfaces, "neighbours": neighbours})

    def running_config(self) -> str:
        if self._config is None:
            assert self.state is not None
            self._config = running_config(self.state, self.extra_lines).text
        return self._config

    # Configuration changes over the CLI ---------------------------------------------------

    def rename(self, hostname: str) -> None:
        self.hostname = hostname
        if self.state is not None:
            self.state = self.state.model_copy(update={"name": hostname})
        self._config = None

    def interface_named(self, typed: str) -> str | None:
        """The device's interface ``typed`` names (any case), or None."""
        if self.state is None:
            return typed
        wanted = typed.replace(" ", "").lower()
        for interface in self.state.interfaces:
            if interface.name.lower() == wanted:
                return interface.name
        return None

    def configure(self, context: list[str], line: str) -> None:
        """Apply one configuration line entered in ``context`` (the sub-mode path)."""
        words = line.split()
        negated = words[0].lower() in ("undo", "no")
        body = words[1:] if negated else words
        if (
            context
            and context[0].startswith("interface ")
            and body
            and self._configure_interface(context[0].split(" ", 1)[1], body, negated, line)
        ):
            self._config = None
            return
        entry = [*context, f" {line}"] if context else [line]
        if negated:
            target = [*context, f" {' '.join(body)}"] if context else [" ".join(body)]
            if self._remove(target):
                self._config = None
                return
        self.extra_lines.extend(entry)
        self._config = None

    def _configure_interface(self, name: str, body: list[str], negated: bool, line: str) -> bool:
        if self.state is None:
            return False
        keyword = body[0].lower()
        if keyword == "description":
            alias = "" if negated else line.split(None, 1)[-1]
            return self._update_interface(name, alias=alias)
        if keyword == "shutdown":
            return self._update_interface(name, admin_up=negated, oper_up=negated)
        return False

    def _update_interface(self, name: str, **changes: object) -> bool:
        assert self.state is not None
        interfaces = tuple(
            i.model_copy(update=changes) if i.name == name else i for i in self.state.interfaces
        )
        self.state = self.state.model_copy(update={"interfaces": interfaces})
        return True

    def _remove(self, entry: list[str]) -> bool:
        size = len(entry)
        for start in range(len(self.extra_lines) - size, -1, -1):
            if self.extra_lines[start : start + size] == entry:
                del self.extra_lines[start : start + size]
                return True
        return False
