"""Host-key checking for every paramiko client ssnoc opens (netmiko's included).

Never ``AutoAddPolicy``: the key pinned for the endpoint (:class:`core.state.host_keys.
HostKeyStore`) is loaded into the client before it connects, so paramiko itself refuses a different
key (``BadHostKeyException``) and — as important — asks the server for the pinned key's *type*
first, so a server with several host keys is not mistaken for a changed one. Only an endpoint with
no pinned key reaches the missing-key policy, which pins what it sees (trust on first use).
"""

from __future__ import annotations

import base64

import paramiko

from core.errors import DeviceAuthError
from core.state.host_keys import HostKeyStore, HostKeyVerdict, endpoint_of


class HostKeyRefused(DeviceAuthError):
    """The server presented a key other than the pinned one: the connection was refused."""

    def __init__(
        self,
        target: str,
        endpoint: str,
        pinned_fingerprint: str,
        presented_fingerprint: str,
    ) -> None:
        self.endpoint = endpoint
        self.pinned_fingerprint = pinned_fingerprint
        self.presented_fingerprint = presented_fingerprint
        super().__init__(
            target,
            f"host key of {endpoint} changed: pinned {pinned_fingerprint}, presented "
            f"{presented_fingerprint}; connection refused (if the device was really replaced or "
            f"re-keyed, forget the pinned key to trust the new one)",
        )


def known_hosts_name(host: str, port: int) -> str:
    """The name paramiko looks host keys up by: ``host`` on port 22, ``[host]:port`` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


class HostKeyGate:
    """Host-key checking for one connection to one endpoint (made and used in one thread)."""

    def __init__(
        self, store: HostKeyStore, host: str, port: int, *, target: str, device_id: str | None
    ) -> None:
        self._store = store
        self._host = host
        self._port = port
        self._target = target
        self._device_id = device_id
        self.endpoint = endpoint_of(host, port)
        self.verdict: HostKeyVerdict | None = None
        """What the check said, once the server's key was seen."""

    def install(self, client: paramiko.SSHClient) -> None:
        """Load the pinned key (if any) and the first-use policy into ``client``."""
        pinned = self._store.pinned(self.endpoint)
        if pinned is not None:
            key = paramiko.PKey.from_type_string(
                pinned.key_type, base64.b64decode(pinned.public_key)
            )
            client.get_host_keys().add(
                known_hosts_name(self._host, self._port), pinned.key_type, key
            )
        client.set_missing_host_key_policy(_PinOnFirstUse(self))

    def confirm(self, transport: paramiko.Transport | None) -> None:
        """After a successful connect: record that the pinned key was seen again."""
        if transport is None or self.verdict is not None:
            return
        self.check(transport.get_remote_server_key())

    def check(self, key: paramiko.PKey) -> None:
        """Pin ``key`` on first use; :class:`HostKeyRefused` when another key is pinned."""
        result = self._store.check(
            self.endpoint, key.get_name(), key.get_base64(), device_id=self._device_id
        )
        self.verdict = result.verdict
        if not result.accepted:
            raise HostKeyRefused(
                self._target,
                self.endpoint,
                result.pinned.fingerprint_sha256,
                result.presented_fingerprint,
            )

    def refusal(self, error: BaseException) -> HostKeyRefused | None:
        """The host-key refusal behind ``error`` (netmiko wraps paramiko's), if there is one."""
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            if isinstance(current, HostKeyRefused):
                return current
            if isinstance(current, paramiko.BadHostKeyException):
                self.verdict = HostKeyVerdict.CHANGED
                return HostKeyRefused(
                    self._target,
                    self.endpoint,
                    current.expected_key.fingerprint,
                    current.key.fingerprint,
                )
            current = current.__cause__ or current.__context__
        return None


class _PinOnFirstUse(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]  # paramiko: untyped
    """Called only when no key is pinned for the endpoint: pin the presented one."""

    def __init__(self, gate: HostKeyGate) -> None:
        self._gate = gate

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        # Another session may have pinned a different key since install(): check() refuses then.
        self._gate.check(key)
