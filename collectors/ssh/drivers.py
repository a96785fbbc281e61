"""netmiko's drivers, as ssnoc runs them: pinned host keys, one deadline, and fewer idle waits.

Every driver ssnoc uses is netmiko's own class with :class:`SsnocSession` in front of it:

* host keys: netmiko knows only ``AutoAddPolicy`` or ``RejectPolicy`` plus known_hosts files; the
  session builds its paramiko client through :class:`HostKeyGate` instead (pinned key loaded,
  trust-on-first-use policy for a new endpoint);
* one deadline: netmiko's reads each have their own timeout (10 s, 20 s, 120 s); here none may
  outlast what is left of the session's budget, and every read checks whether the event loop gave
  up on the session, so a stuck worker thread is freed at the deadline;
* what the device last printed is kept, so "no prompt" can say what came instead;
* a refused enable secret is noticed when the password prompt comes back, not after the read
  timeout.

And where a stock driver idles for nothing, a small override:

* Huawei VRP checks for config mode (on every disconnect, and twice around ``system-view``) by
  reading until the channel has been silent for 2 s; reading up to the prompt is enough.
* ZTE ZXROS waits for ``#`` after a return: an unprivileged ``>`` prompt made that a 10 s
  read timeout on every disconnect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import paramiko
from netmiko.cisco.cisco_ios import CiscoIosSSH
from netmiko.cisco_base_connection import CiscoBaseConnection
from netmiko.hp.hp_comware import HPComwareSSH
from netmiko.huawei.huawei import HuaweiSSH
from netmiko.zte.zte_zxros import ZteZxrosSSH

from collectors.ssh.connect import Deadline, SessionAborted, SessionSocket
from collectors.ssh.host_key_policy import HostKeyGate

_PROMPT_END = r"[>\]#]\s*$"
_TAIL_CHARS = 160


@dataclass
class SessionControl:
    """What one session's driver shares with the job that runs it (same thread)."""

    socket: SessionSocket
    deadline: Deadline
    gate: HostKeyGate
    prompt_found: bool = False
    broken: bool = False
    """Set when the session went wrong: logging out politely is skipped (the device may sit at a
    password prompt or in a hanging command, and a polite ``quit`` would wait for nothing)."""
    tail: str = ""
    """The last characters the device sent."""

    def note(self, text: str) -> None:
        if text:
            self.tail = (self.tail + text)[-_TAIL_CHARS:]


class SsnocSession(CiscoBaseConnection):
    """Put in front of a netmiko driver class (``class X(SsnocSession, HuaweiSSH)``)."""

    def __init__(self, *, ssnoc: SessionControl, **kwargs: Any) -> None:
        # Set before netmiko's __init__, which connects (auto_connect) and so needs it.
        self._ssnoc = ssnoc
        super().__init__(**kwargs)

    def _build_ssh_client(self) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        self._ssnoc.gate.install(client)
        return client

    def read_channel(self) -> str:
        if self._ssnoc.socket.aborted:
            raise SessionAborted(f"{self.host}:{self.port}")
        text: str = super().read_channel()
        self._ssnoc.note(text)
        return text

    def read_until_pattern(self, *args: Any, **kwargs: Any) -> str:
        kwargs["read_timeout"] = self._bounded(kwargs.get("read_timeout", 10.0))
        text: str = super().read_until_pattern(*args, **kwargs)
        return text

    def read_channel_timing(self, *args: Any, **kwargs: Any) -> str:
        kwargs["read_timeout"] = self._bounded(kwargs.get("read_timeout", 120.0))
        text: str = super().read_channel_timing(*args, **kwargs)
        return text

    def cleanup(self, command: str = "") -> None:
        if self._ssnoc.broken:
            return
        if command:
            super().cleanup(command=command)
        else:
            super().cleanup()

    def enable_secret_handler(
        self, pattern: str, output: str, re_flags: int = re.IGNORECASE
    ) -> str:
        # Stock netmiko waits for the prompt only; a refused secret brings the password prompt
        # back instead, so a wrong secret cost the whole read timeout. Either ends the wait here.
        if not re.search(pattern, output, flags=re_flags):
            return ""
        self.write_channel(self.normalize_cmd(self.secret))
        answer: str = self.read_until_prompt_or_pattern(pattern=pattern, re_flags=re_flags)
        if re.search(pattern, answer, flags=re_flags) and self.base_prompt not in answer:
            raise ValueError("the enable secret was refused")
        return answer

    def _try_session_preparation(self, force_data: bool = True) -> None:
        # Stock netmiko sends a newline and then sleeps a fixed 0.1 s before preparing the
        # session; the preparation itself waits for the prompt, so the sleep is pure idle —
        # a fifth of a VRP device's whole collection. Same behaviour, without the nap.
        try:
            if force_data:
                self.write_channel(self.RETURN)
            self.session_preparation()
        except Exception:
            self.disconnect()
            raise

    def set_base_prompt(self, *args: Any, **kwargs: Any) -> str:
        prompt: str = super().set_base_prompt(*args, **kwargs)
        self._ssnoc.prompt_found = True
        return prompt

    def _bounded(self, read_timeout: float) -> float:
        # netmiko reads 0 as "no limit": a session always has one.
        remaining = self._ssnoc.deadline.remaining_s()
        return remaining if read_timeout <= 0 else min(read_timeout, remaining)

    @property
    def ssh_client(self) -> paramiko.SSHClient | None:
        client: paramiko.SSHClient | None = self.remote_conn_pre
        return client


class HuaweiVrpSession(SsnocSession, HuaweiSSH):
    def check_config_mode(
        self, check_string: str = "]", pattern: str = _PROMPT_END, force_regex: bool = False
    ) -> bool:
        # HuaweiBase drops ``pattern`` and so falls back to a 2 s silence-based read.
        result: bool = CiscoBaseConnection.check_config_mode(
            self, check_string=check_string, pattern=pattern, force_regex=force_regex
        )
        return result


class ComwareSession(SsnocSession, HPComwareSSH):
    pass


class IosSession(SsnocSession, CiscoIosSSH):
    pass


class ZxrosSession(SsnocSession, ZteZxrosSSH):
    def check_config_mode(
        self, check_string: str = ")#", pattern: str = r"[>#]", force_regex: bool = False
    ) -> bool:
        result: bool = CiscoBaseConnection.check_config_mode(
            self, check_string=check_string, pattern=pattern, force_regex=force_regex
        )
        return result


DRIVERS: dict[str, type[SsnocSession]] = {
    "huawei_vrp": HuaweiVrpSession,
    "hp_comware": ComwareSession,
    "cisco_ios": IosSession,
    "zte_zxros": ZxrosSession,
}
"""netmiko device type (named in the command sets) → the driver class ssnoc runs."""
