"""Running configurations of the simulated routers and switches, one renderer per platform.

A configuration is a pure function of the device (and of lines entered over the CLI since the
simulator started): the same seed gives the same text. It holds every kind of secret a real one
does — local users' hashes, SNMP communities and v3 keys, AAA and NTP keys, an IKE pre-shared key,
Cisco's enable secret — because the NOC backs it up and must scrub all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.model import Platform
from lab.model import LabDevice
from lab.ssh.configs import comware, ios, vrp, zxros
from lab.ssh.configs.inputs import ConfigInput, ConfigRenderer, SecretLog

RENDERERS: dict[Platform, ConfigRenderer] = {
    Platform.HUAWEI_VRP: vrp.render,
    Platform.HP_COMWARE: comware.render,
    Platform.CISCO_IOS: ios.render,
    Platform.ZTE_ZXROS: zxros.render,
}


@dataclass(frozen=True, slots=True)
class RunningConfig:
    text: str
    printed_secrets: tuple[str, ...]
    """Every secret as the text prints it (clear, hashed or ciphered)."""


def running_config(device: LabDevice, extra_lines: Sequence[str] = ()) -> RunningConfig:
    log = SecretLog()
    text = RENDERERS[device.platform](ConfigInput(device, tuple(extra_lines), log))
    return RunningConfig(text, tuple(dict.fromkeys(log.printed)))


def config_secrets(device: LabDevice) -> tuple[str, ...]:
    """Every secret a scrubbed copy of ``device``'s configuration must not contain: each one in
    clear (passwords, keys, communities) and as the configuration prints it."""
    clear = [account.password for account in device.accounts]
    if device.secrets is not None:
        clear += device.secrets.values()
    clear.append(device.community)
    printed = running_config(device).printed_secrets
    return tuple(dict.fromkeys([*clear, *printed]))
