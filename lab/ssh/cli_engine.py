"""The CLI of one SSH session: modes, prompts, commands, paging — one platform's dialect as data.

The engine knows nothing of SSH. The transport (:mod:`lab.ssh.server`) echoes what is typed
(except a password or a key at a ``More`` prompt: :attr:`CliSession.input_mode`), hands over whole
lines or single keys, and writes each :class:`Reply` — after its delay, or never, for a command
that hangs. Every line ending is CR LF, as a device's PTY sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lab.ssh.command_tree import OutputFilter, Problem, Unresolved, split_filters
from lab.ssh.device import BEIJING, SimulatedDevice
from lab.ssh.dialects import Action, CommandSpec

CRLF = "\r\n"
TOP_PRIVILEGE = 15
# Comware's developer mode passwords (published widely; devices accept either, by release).
_CMDLINE_PASSWORDS = ("512900", "Jinhua1920unauthorized")
_ENABLE_TRIES = 3


class InputMode(StrEnum):
    LINE = "line"  # echoed, delivered on Enter
    SECRET = "secret"  # noqa: S105 - not echoed, delivered on Enter
    KEY = "key"  # one key at a time, not echoed (a More prompt)


class Mode(StrEnum):
    EXEC = "exec"
    CONFIG = "config"


class _Pending(StrEnum):
    NONE = "none"
    ENABLE = "enable"
    CMDLINE_CONFIRM = "cmdline-confirm"
    CMDLINE_PASSWORD = "cmdline-password"  # noqa: S105 - a state, not a password
    MORE = "more"


@dataclass(frozen=True, slots=True)
class Reply:
    text: str = ""
    delay_s: float = 0.0
    hang: bool = False
    """Never answer (the transport still reads, and closes when the client goes)."""
    close: bool = False


class CliSession:
    def __init__(self, device: SimulatedDevice, username: str) -> None:
        self.device = device
        self.dialect = device.dialect
        self.username = username
        self.level = device.privilege_of(username)
        self.mode = Mode.EXEC
        self.context: list[str] = []
        self.paging = True  # until the session turns it off, as netmiko does
        self._pending = _Pending.NONE
        self._more: list[str] = []
        self._enable_tries = 0

    # What the transport asks ------------------------------------------------------------------

    @property
    def input_mode(self) -> InputMode:
        if self._pending is _Pending.MORE:
            return InputMode.KEY
        if self._pending in (_Pending.ENABLE, _Pending.CMDLINE_PASSWORD):
            return InputMode.SECRET
        return InputMode.LINE

    def prompt(self) -> str:
        host = self.device.hostname
        dialect = self.dialect
        if self.mode is Mode.CONFIG:
            if not self.context:
                return dialect.config_prompt.format(host=host)
            context = dialect.context_name(self.context[-1])
            return dialect.sub_prompt.format(host=host, context=context)
        if dialect.privileged_prompt and self.level >= TOP_PRIVILEGE:
            return dialect.privileged_prompt.format(host=host)
        return dialect.user_prompt.format(host=host)

    def start(self) -> str:
        """What the device prints when the shell starts: its banner, then the prompt."""
        login_time = f"{datetime.now(BEIJING):%Y-%m-%d %H:%M:%S}+08:00"
        banner = [line.format(login_time=login_time) for line in self.dialect.login_banner]
        return CRLF.join(banner) + CRLF + self.prompt()

    def line(self, typed: str) -> Reply:
        pending = self._pending
        if pending is _Pending.ENABLE:
            return self._enable_answer(typed)
        if pending is _Pending.CMDLINE_CONFIRM:
            return self._cmdline_confirm(typed)
        if pending is _Pending.CMDLINE_PASSWORD:
            return self._cmdline_password(typed)
        text = typed.strip()
        if not text:
            return Reply(self.prompt())
        if self.mode is Mode.CONFIG:
            return self._config_line(text)
        return self._exec_line(text)

    def key(self, char: str) -> Reply:
        """A key at the More prompt: space a page, Enter a line, anything else stops."""
        erase = self.dialect.more_erase
        if char == " ":
            return Reply(erase + self._page(self._more))
        if char in ("\r", "\n"):
            return Reply(erase + self._page(self._more, count=1))
        self._pending, self._more = _Pending.NONE, []
        return Reply(erase + self.prompt())

    def interrupt(self) -> Reply:
        """Ctrl-C: abandon whatever is pending."""
        self._pending, self._more = _Pending.NONE, []
        return Reply(CRLF + self.prompt())

    def end_config(self) -> Reply:
        """Ctrl-Z: leave configuration mode from any depth."""
        if self.mode is Mode.CONFIG:
            self.mode, self.context = Mode.EXEC, []
        return Reply(CRLF + self.prompt())

    def exec_request(self, command: str) -> Reply:
        """An SSH ``exec`` request: the command's output alone (LF line ends, no prompt), then
        the channel closes — after the device's delay, or never for a hanging command."""
        self.paging = False
        reply = self._exec_line(command.strip())
        if reply.hang:
            return reply
        prompt = self.prompt()
        text = reply.text[: -len(prompt)] if reply.text.endswith(prompt) else reply.text
        return Reply(text.replace(CRLF, "\n"), delay_s=reply.delay_s, close=True)

    # Exec mode ----------------------------------------------------------------------------------

    def _exec_line(self, text: str) -> Reply:
        if self.device.hangs(text, None):
            return Reply(hang=True)
        split = split_filters(text)
        if split is None:
            return self._error(text, self.dialect.unknown_error, text.index("|") + 1)
        base, filters = split
        words = base.split()
        resolved = self.device.tree.resolve(words)
        if isinstance(resolved, Unresolved):
            return self._unresolved(text, words, resolved)
        if resolved.min_level > self.level:
            return self._error(text, self.dialect.permission_error, 0)
        if self.device.hangs(text, resolved):
            return Reply(hang=True)
        return self._run(resolved, filters, text)

    def _run(self, spec: CommandSpec, filters: list[OutputFilter], text: str) -> Reply:
        delay = self.device.behaviour.command_delay_s
        action = spec.action
        if action in (Action.OUTPUT, Action.RECORDED):
            lines = self.device.output(spec).split("\n")
            for output_filter in filters:
                lines = output_filter.apply(lines)
            return Reply(self._page(lines), delay_s=delay)
        if action is Action.PAGING_OFF:
            self.paging = False
        elif action is Action.ENTER_CONFIG:
            self.mode, self.context = Mode.CONFIG, []
            return Reply(self._with_prompt([self.dialect.config_enter_message]), delay_s=delay)
        elif action is Action.LOGOUT:
            return Reply(close=True)
        elif action is Action.ENABLE:
            return self._enable()
        elif action is Action.DISABLE:
            self.level = min(self.level, 1)
        elif action is Action.CMDLINE_MODE:
            self._pending = _Pending.CMDLINE_CONFIRM
            return Reply("All commands can be displayed and executed. Continue? [Y/N]")
        return Reply(self._with_prompt([spec.message] if spec.message else []), delay_s=delay)

    def _unresolved(self, text: str, words: list[str], problem: Unresolved) -> Reply:
        dialect = self.dialect
        position = _word_position(text, problem.word_index)
        if problem.problem is Problem.AMBIGUOUS:
            return self._error(text, dialect.ambiguous_error, position)
        if problem.problem is Problem.INCOMPLETE:
            return self._error(text, dialect.incomplete_error, position)
        if problem.word_index == 0 and dialect.first_word_error and len(words) == 1:
            return Reply(self._with_prompt([dialect.first_word_error]))
        return self._error(text, dialect.unknown_error, position)

    def _error(self, text: str, message: str, position: int) -> Reply:
        message = message.format(line=text)
        if "'^'" not in message:
            return Reply(self._with_prompt([message]))
        caret = " " * (len(self.prompt()) + position) + "^"
        return Reply(self._with_prompt([caret, message]))

    # Configuration mode ------------------------------------------------------------------------

    def _config_line(self, text: str) -> Reply:
        dialect = self.dialect
        words = text.split()
        first = words[0].lower()
        if first in dialect.exit_all:
            self.mode, self.context = Mode.EXEC, []
            return Reply(self.prompt())
        if first in dialect.exit_one:
            if self.context:
                self.context.pop()
            else:
                self.mode = Mode.EXEC
            return Reply(self.prompt())
        if dialect.exec_in_config and first == dialect.exec_in_config and len(words) > 1:
            return self._exec_line(text.split(None, 1)[1])
        # VRP and Comware run display commands in system view as they are.
        if (
            dialect.exec_in_config is None
            and self.device.tree.knows_first_word(first)
            and not self._is_config_word(first)
        ):
            return self._exec_line(text)
        if not self._is_config_word(first):
            return self._error(text, dialect.unknown_error, 0)
        if first == "interface" and len(words) > 1:
            return self._enter_interface(text, words)
        if self.level < dialect.config_level:
            return self._error(text, dialect.permission_error, 0)
        if first == dialect.hostname_command and len(words) == 2:
            self.device.rename(words[1])
        else:
            self.device.configure(self.context, text)
        return Reply(self.prompt())

    def _is_config_word(self, word: str) -> bool:
        return word in self.dialect.config_words or word == self.dialect.hostname_command

    def _enter_interface(self, text: str, words: list[str]) -> Reply:
        name = self.device.interface_named("".join(words[1:]))
        if name is None:
            return self._error(text, self.dialect.unknown_error, _word_position(text, 1))
        self.context = [f"interface {name}"]
        return Reply(self.prompt())

    # Prompts that wait for an answer -----------------------------------------------------------

    def _enable(self) -> Reply:
        if self.level >= TOP_PRIVILEGE:
            return Reply(self.prompt())
        if self.device.enable_secret is None:
            return Reply(self._with_prompt(["% No password set"]))
        self._pending, self._enable_tries = _Pending.ENABLE, 0
        return Reply(self.dialect.enable_password_prompt)

    def _enable_answer(self, typed: str) -> Reply:
        if typed == self.device.enable_secret:
            self._pending, self.level = _Pending.NONE, TOP_PRIVILEGE
            return Reply(self.prompt())
        self._enable_tries += 1
        if self._enable_tries < _ENABLE_TRIES:
            return Reply(self.dialect.enable_password_prompt)
        self._pending = _Pending.NONE
        return Reply(self._with_prompt([self.dialect.enable_denied]))

    def _cmdline_confirm(self, typed: str) -> Reply:
        if typed.strip().lower() in ("y", "yes"):
            self._pending = _Pending.CMDLINE_PASSWORD
            return Reply("Please input password:")
        self._pending = _Pending.NONE
        return Reply(self.prompt())

    def _cmdline_password(self, typed: str) -> Reply:
        self._pending = _Pending.NONE
        if typed in _CMDLINE_PASSWORDS:
            message = (
                "Warning: Now you enter an all-command mode for developer's testing, some "
                "commands may affect operation by wrong use, please carefully use it with our "
                "engineer's direction."
            )
        else:
            message = "Error: Invalid password."
        return Reply(CRLF + self._with_prompt([message]))

    # Output -------------------------------------------------------------------------------------

    def _with_prompt(self, lines: list[str]) -> str:
        return "".join(line + CRLF for line in lines) + self.prompt()

    def _page(self, lines: list[str], count: int | None = None) -> str:
        """A screen of ``lines`` (or ``count`` of them) and the More prompt; or all of them and
        the prompt, when they fit or paging is off."""
        length = count if count is not None else self.dialect.page_length
        if not self.paging or len(lines) <= length:
            self._pending, self._more = _Pending.NONE, []
            return self._with_prompt(lines)
        shown, self._more = lines[:length], lines[length:]
        self._pending = _Pending.MORE
        return "".join(line + CRLF for line in shown) + self.dialect.more_prompt


def _word_position(text: str, index: int) -> int:
    """Where word ``index`` of ``text`` starts (the caret goes under it)."""
    position = 0
    for current, word in enumerate(text.split()):
        position = text.index(word, position)
        if current == index:
            return position
        position += len(word)
    return len(text)
