"""One simulated SSH device for other packages' tests, in a background thread of the test process.

::

    with running_ssh_device("huawei_vrp", fresh_address(), 2222) as endpoint:
        ConnectHandler(device_type="huawei_vrp", host=endpoint.host, port=endpoint.port,
                       username=endpoint.username, password=endpoint.password)

The server runs in its own thread with its own event loop; the context manager returns once it is
listening and stops it (and its sessions) on exit. Without ``lab_device`` it simulates a small
access switch of the platform (:func:`lab.ssh.sample.sample_device`) named ``hostname``; with
``outputs_dir`` the commands recorded there answer from their files. ``host_key_path`` keeps the
host key across runs (and lets a test replace it); without it each run has a fresh key.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.model import Platform
from lab.model import LabDevice
from lab.ssh.sample import single_device_spec
from lab.ssh.server import SshSimulator
from lab.ssh.spec import SimulatorConfig, SshBehaviour

DEFAULT_HOSTNAME = "LAB-DEV1"
_START_TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class SimulatedEndpoint:
    host: str
    port: int
    username: str
    password: str
    host_key_fingerprint: str
    """``SHA256:…`` as OpenSSH prints it."""
    platform: str


@contextmanager
def running_ssh_device(
    platform: str,
    host: str,
    port: int,
    *,
    hostname: str = DEFAULT_HOSTNAME,
    username: str = "noc",
    password: str = "noc-pass",  # noqa: S107 - the simulated device's test login
    enable_secret: str | None = None,
    outputs_dir: Path | None = None,
    lab_device: LabDevice | None = None,
    command_delay_s: float = 0.0,
    hanging_commands: Sequence[str] = (),
    host_key_path: Path | None = None,
) -> Iterator[SimulatedEndpoint]:
    """A simulated ``platform`` device listening on ``host:port`` for the ``with`` block.

    The login ``username``/``password`` lands at top privilege — or, with ``enable_secret`` on
    IOS and ZXROS, unprivileged until ``enable``. With ``lab_device`` the device's own local
    accounts log in too, and its name is the hostname unless ``hostname`` says otherwise.
    """
    kind = Platform(platform)
    if lab_device is not None and hostname == DEFAULT_HOSTNAME:
        hostname = lab_device.name
    with tempfile.TemporaryDirectory(prefix="ssnoc-ssh-") as scratch:
        spec = single_device_spec(
            kind,
            host,
            port,
            host_key_path or Path(scratch) / "host_key",
            hostname=hostname,
            username=username,
            password=password,
            enable_secret=enable_secret,
            outputs_dir=outputs_dir,
            lab_device=lab_device,
            behaviour=SshBehaviour(
                command_delay_s=command_delay_s, hanging_commands=tuple(hanging_commands)
            ),
        )
        runner = _ThreadedSimulator(SimulatorConfig(devices=(spec,)))
        runner.start()
        try:
            yield SimulatedEndpoint(
                host=host,
                port=port,
                username=username,
                password=password,
                host_key_fingerprint=runner.fingerprint(host, port),
                platform=platform,
            )
        finally:
            runner.stop()


class _ThreadedSimulator:
    """An :class:`SshSimulator` in a daemon thread with its own event loop."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._simulator = SshSimulator(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="ssh-simulator", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(_START_TIMEOUT_S):
            raise TimeoutError(f"the SSH simulator did not listen within {_START_TIMEOUT_S} s")
        if self._error is not None:
            self._thread.join()
            raise self._error

    def fingerprint(self, host: str, port: int) -> str:
        return self._simulator.fingerprints[(host, port)]

    def stop(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            await self._simulator.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread, re-raised there
            self._error = exc
            self._started.set()
            return
        self._started.set()
        try:
            await self._stop.wait()
        finally:
            await self._simulator.close()
