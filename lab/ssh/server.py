"""The asyncssh side: one listener per simulated device, password logins, the shell's keystrokes.

A device's listener presents its own host key and accepts its logins (a wrong password is a real
SSH authentication failure). A shell session echoes what is typed — a whole received chunk in one
write, as a PTY would, and not a password or a key at a ``More`` prompt — and hands lines and keys
to the CLI engine; answers are written at once, after the device's delay, or never. An ``exec``
request runs one command and exits, as IOS does for ``ssh host "show version"``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from core.errors import LabError
from lab.model import LabDevice
from lab.ssh.cli_engine import CliSession, InputMode, Reply
from lab.ssh.device import Behaviour, Login, SimulatedDevice, recorded_commands
from lab.ssh.fault_views import FaultReader, FaultViews
from lab.ssh.hostkeys import fingerprint, load_or_create_host_key
from lab.ssh.spec import SimulatorConfig, SshDeviceSpec

_BACKSPACES = ("\x7f", "\x08")


class _Shell(asyncssh.SSHServerSession[str]):
    def __init__(self, device: SimulatedDevice, username: str) -> None:
        self._device = device
        self._username = username
        self._engine = CliSession(device, username)
        self._chan: asyncssh.SSHServerChannel[str] | None = None
        self._command: str | None = None
        self._typed: list[str] = []
        self._pending_input = ""
        self._out: list[str] = []
        self._busy = False
        self._closed = False
        self._after_cr = False
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: object, term_modes: object) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return True

    def session_started(self) -> None:
        if self._command is not None:
            once = CliSession(self._device, self._username)
            self._reply(once.exec_request(self._command))
            self._flush()
            return
        self._write(self._engine.start())
        self._flush()

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        self._pending_input += data
        self._drain()

    def eof_received(self) -> bool:
        # The client is leaving: asyncssh closes the channel (False); nothing more to say.
        self._closed = True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()

    def _drain(self) -> None:
        while self._pending_input and not self._busy and not self._closed:
            char, self._pending_input = self._pending_input[0], self._pending_input[1:]
            self._char(char)
        self._flush()

    def _char(self, char: str) -> None:
        if char == "\n" and self._after_cr:
            self._after_cr = False  # CR LF is one Enter
            return
        self._after_cr = char == "\r"
        mode = self._engine.input_mode
        if mode is InputMode.KEY:
            self._reply(self._engine.key(char))
        elif char in ("\r", "\n"):
            line, self._typed = "".join(self._typed), []
            self._write("\r\n")
            self._reply(self._engine.line(line))
        elif char == "\x03":
            self._typed = []
            self._reply(self._engine.interrupt())
        elif char == "\x1a":
            self._typed = []
            self._reply(self._engine.end_config())
        elif char in _BACKSPACES:
            if self._typed:
                self._typed.pop()
                if mode is InputMode.LINE:
                    self._write("\b \b")
        elif char >= " " or char == "\t":
            self._typed.append(char)
            if mode is InputMode.LINE:
                self._write(char)

    def _reply(self, reply: Reply) -> None:
        if reply.hang:
            self._busy = True  # reads on, answers never
        elif reply.delay_s > 0:
            self._busy = True
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(reply.delay_s, self._deliver_later, reply)
        else:
            self._deliver(reply)

    def _deliver_later(self, reply: Reply) -> None:
        self._timer = None
        self._busy = False
        self._deliver(reply)
        self._drain()

    def _deliver(self, reply: Reply) -> None:
        if reply.text:
            self._write(reply.text)
        if reply.close:
            self._flush()
            self._close()

    def _write(self, text: str) -> None:
        self._out.append(text)

    def _flush(self) -> None:
        if self._out and self._chan is not None and not self._closed:
            self._chan.write("".join(self._out))
        self._out = []

    def _close(self) -> None:
        if not self._closed and self._chan is not None:
            self._closed = True
            self._chan.exit(0)


class _DeviceServer(asyncssh.SSHServer):
    def __init__(
        self, device: SimulatedDevice, connections: set[asyncssh.SSHServerConnection]
    ) -> None:
        self._device = device
        self._connections = connections
        self._connection: asyncssh.SSHServerConnection | None = None
        self._username = ""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connection = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._connection is not None:
            self._connections.discard(self._connection)

    def begin_auth(self, username: str) -> bool:
        return True  # every login needs a password

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        if self._device.check_login(username, password):
            self._username = username
            return True
        return False

    def session_requested(self) -> asyncssh.SSHServerSession[str]:
        return _Shell(self._device, self._username)


def simulated_device(spec: SshDeviceSpec, province: dict[str, LabDevice]) -> SimulatedDevice:
    state = spec.device or (province[spec.device_id] if spec.device_id else None)
    if state is not None and state.name != spec.hostname:
        state = state.model_copy(update={"name": spec.hostname})
    logins = {a.name: Login(a.password, a.privilege) for a in state.accounts} if state else {}
    logins |= {login.username: Login(login.password, login.privilege) for login in spec.logins}
    return SimulatedDevice(
        platform=spec.platform,
        state=state,
        hostname=spec.hostname,
        logins=logins,
        enable_secret=spec.enable_secret,
        recordings=recorded_commands(spec.outputs_dir) if spec.outputs_dir else {},
        behaviour=Behaviour(
            spec.behaviour.command_delay_s,
            frozenset(" ".join(c.lower().split()) for c in spec.behaviour.hanging_commands),
        ),
    )


@dataclass
class _Served:
    spec: SshDeviceSpec
    device: SimulatedDevice
    fingerprint: str
    acceptor: asyncssh.SSHAcceptor | None
    """None while the device is silent (a fault): its address refuses connections."""
    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)


class SshSimulator:
    """Many simulated devices in one event loop, each on its own address and host key.

    With the lab's faults (``faults_path``), a silent device stops listening and drops its
    sessions, and listens again once it may answer; the others show the faults in their outputs.
    """

    def __init__(self, config: SimulatorConfig) -> None:
        self._config = config
        self._served: list[_Served] = []
        self._faults = (
            FaultReader(config.province_path, config.faults_path)
            if config.province_path is not None and config.faults_path is not None
            else None
        )
        self._reloading = asyncio.Lock()  # one reload at a time: each awaits listeners

    async def start(self) -> None:
        """Listen for every device that may answer; returns once all listen (all or none)."""
        province = _province_devices(self._config.province_path)
        try:
            views = self._faults.read() if self._faults is not None else None
        except LabError:
            views = None  # every device answers; the serve loop reports the broken file
        try:
            for spec in self._config.devices:
                device = simulated_device(spec, province)
                served = _Served(spec, device, "", None)
                self._served.append(served)
                if views is not None:
                    self._show(served, views)
                if views is None or spec.device_id not in views.silent:
                    await self._listen(served)
                else:
                    served.fingerprint = fingerprint(load_or_create_host_key(spec.host_key_path))
        except BaseException:
            await self.close()
            raise

    async def _listen(self, served: _Served) -> None:
        spec, device, connections = served.spec, served.device, served.connections
        key = load_or_create_host_key(spec.host_key_path)
        served.acceptor = await asyncssh.listen(
            spec.host,
            spec.port,
            server_factory=lambda: _DeviceServer(device, connections),
            server_host_keys=[key],
            line_editor=False,
            encoding="utf-8",
            # The lab answers at once; a client that never authenticates is dropped.
            login_timeout=30,
            keepalive_interval=0,
        )
        served.fingerprint = fingerprint(key)

    @property
    def fingerprints(self) -> dict[tuple[str, int], str]:
        return {(s.spec.host, s.spec.port): s.fingerprint for s in self._served}

    async def reload_host_keys(self) -> int:
        """Present the new key, to new connections, of every device whose key file changed."""
        reloaded = 0
        for served in self._served:
            key = load_or_create_host_key(served.spec.host_key_path)
            if fingerprint(key) != served.fingerprint:
                if served.acceptor is not None:
                    served.acceptor.update(server_host_keys=[key])
                served.fingerprint = fingerprint(key)
                reloaded += 1
        return reloaded

    async def reload_faults(self) -> int | None:
        """Show the lab's faults as faults.json now has them; returns its generation (None: this
        simulator has no lab faults to follow)."""
        if self._faults is None:
            return None
        async with self._reloading:
            views = self._faults.read()
            for served in self._served:
                self._show(served, views)
                silent = served.spec.device_id in views.silent
                if silent and served.acceptor is not None:
                    await _stop_listening(served)
                elif not silent and served.acceptor is None:
                    await self._listen(served)
            return views.generation

    @staticmethod
    def _show(served: _Served, views: FaultViews) -> None:
        device_id = served.spec.device_id
        served.device.fault_view = views.views.get(device_id) if device_id else None

    async def close(self) -> None:
        """Stop listening and end every session still open."""
        for served in self._served:
            await _stop_listening(served)
        self._served = []


async def _stop_listening(served: _Served) -> None:
    """Close the device's listener and end its sessions."""
    if served.acceptor is not None:
        served.acceptor.close()
        await served.acceptor.wait_closed()
        served.acceptor = None
    connections = list(served.connections)
    for connection in connections:
        # abort, not close: a client that is leaving at this moment would have the polite
        # disconnect message written after its socket closed (asyncio logs every such write).
        connection.abort()
    for connection in connections:
        await connection.wait_closed()


def _province_devices(path: Path | None) -> dict[str, LabDevice]:
    if path is None:
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    return {d["id"]: LabDevice.model_validate(d) for d in document.get("devices", ())}
