"""Simulated devices for the CLI engine's tests: a sample switch of each platform, no SSH."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.model import Platform
from lab.ssh.cli_engine import CliSession
from lab.ssh.device import SimulatedDevice
from lab.ssh.sample import single_device_spec
from lab.ssh.server import simulated_device
from lab.ssh.spec import SshBehaviour

NETWORK_PLATFORMS = [p for p in Platform if p is not Platform.LINUX]
USER = "noc"
PASSWORD = "noc-pass"

DeviceFactory = Callable[..., SimulatedDevice]
SessionFactory = Callable[..., CliSession]


@pytest.fixture
def make_device(tmp_path: Path) -> DeviceFactory:
    def make(
        platform: Platform,
        *,
        enable_secret: str | None = None,
        outputs_dir: Path | None = None,
        behaviour: SshBehaviour | None = None,
        hostname: str = "LAB-DEV1",
    ) -> SimulatedDevice:
        spec = single_device_spec(
            platform,
            "127.0.0.1",
            2222,
            tmp_path / "host_key",
            hostname=hostname,
            username=USER,
            password=PASSWORD,
            enable_secret=enable_secret,
            outputs_dir=outputs_dir,
            behaviour=behaviour,
        )
        return simulated_device(spec, {})

    return make


@pytest.fixture
def make_session(make_device: DeviceFactory) -> SessionFactory:
    def make(platform: Platform, **options: object) -> CliSession:
        return CliSession(make_device(platform, **options), USER)

    return make


def lines_of(text: str) -> list[str]:
    """A reply's lines, as a terminal shows them."""
    return text.split("\r\n")
