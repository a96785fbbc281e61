"""What the SSH collectors need to reach one device or host."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.credentials import SshCredential
from core.model import Platform
from core.state.host_keys import endpoint_of

DEFAULT_TIMEOUT_S = 20.0

_UNIT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._:+-]{0,254}$")


@dataclass(frozen=True, slots=True)
class SshTarget:
    """One SSH server to collect from; ``device_id`` labels results and errors (an inventory id,
    or ``host:port`` for an ad-hoc target)."""

    device_id: str
    host: str
    port: int
    platform: Platform
    credential: SshCredential
    timeout_s: float = DEFAULT_TIMEOUT_S
    """For the whole session: connect, every command, disconnect."""
    units: tuple[str, ...] = ()
    """Linux hosts: named services whose state is collected (systemd units, or processes)."""

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        for unit in self.units:
            # Unit names end up in a remote shell script: only plain names pass.
            if not _UNIT_NAME.match(unit):
                raise ValueError(f"not a service name: {unit!r}")

    @property
    def endpoint(self) -> str:
        return endpoint_of(self.host, self.port)
