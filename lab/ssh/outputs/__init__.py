"""Command outputs from the lab's state, one module per platform, keyed by output name.

The dialects (:mod:`lab.ssh.dialects`) map each platform's command words to these names, so
``display lldp neighbor-information list`` and ``show lldp neighbors`` are data, not code paths.
"""

from __future__ import annotations

from core.model import Platform
from lab.ssh.outputs import comware, ios, vrp, zxros
from lab.ssh.outputs.context import OutputContext, Renderer

OUTPUTS: dict[Platform, dict[str, Renderer]] = {
    Platform.HUAWEI_VRP: vrp.OUTPUTS,
    Platform.HP_COMWARE: comware.OUTPUTS,
    Platform.CISCO_IOS: ios.OUTPUTS,
    Platform.ZTE_ZXROS: zxros.OUTPUTS,
}

__all__ = ["OUTPUTS", "OutputContext", "Renderer"]
