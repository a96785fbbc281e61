"""Command sets per platform, as data: ``commands/<platform>.yaml``.

Each file names netmiko's device type for the platform, the commands ssnoc sends (full spellings),
how each answer is parsed (ntc-templates where a template of its own exists, ssnoc's own parsers
elsewhere), which parsed fields become which facts, and which ../shared/cli samples each parser is
claimed to reproduce.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError
from core.model import Platform

COMMANDS_DIR = Path(__file__).with_name("commands")

NTC = "ntc"
TEXT = "text"

RUNNING_CONFIG = "running_config"
"""The key of the command that prints the running configuration, on every platform."""
LLDP_NEIGHBORS = "lldp_neighbors"
"""The key of the command that lists LLDP neighbours (``collectors.ssh.lldp_parsers`` reads it)."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CommandSpec(_Strict):
    command: str = Field(min_length=1)
    ntc_template: bool
    """Whether ntc-templates has a template of its own for this command."""
    parser: str = Field(min_length=1)
    """``ntc``, ``text``, or the name of one of ssnoc's parsers (collectors/ssh/parsers.py)."""
    claims: tuple[str, ...] = ()
    """../shared/cli/<platform>/<dir> whose samples this parser must reproduce."""
    facts: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Fact name → parsed fields to take it from (the first non-empty, of the first row)."""
    normalise: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Common field name → parsed fields: every row is reported in these names."""

    @model_validator(mode="after")
    def _consistent(self) -> CommandSpec:
        if self.parser == NTC and not self.ntc_template:
            raise ValueError("parser ntc needs ntc_template: true")
        return self


class AccountSource(_Strict):
    command: str
    parser: str


class CommandSet(_Strict):
    platform: Platform
    vendor: str
    netmiko_device_type: str
    enable: bool = False
    """Enter privileged mode (``enable``) when the login prompt is unprivileged."""
    error_patterns: tuple[str, ...] = ()
    """An answer matching one of these is the device refusing the command."""
    commands: dict[str, CommandSpec]
    accounts: tuple[AccountSource, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> CommandSet:
        for source in self.accounts:
            if source.command not in self.commands:
                raise ValueError(f"accounts: no command {source.command!r}")
        for pattern in self.error_patterns:
            re.compile(pattern)
        return self

    def rejected(self, output: str) -> str | None:
        """The device's error line when ``output`` is a refusal of the command."""
        for pattern in self.error_patterns:
            match = re.search(pattern, output, flags=re.MULTILINE)
            if match:
                start = output.rfind("\n", 0, match.start()) + 1
                end = output.find("\n", match.end())
                return output[start : end if end >= 0 else len(output)].strip()
        return None

    def keys(self, wanted: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The command keys to run: ``wanted`` (validated) or all, in file order."""
        if wanted is None:
            return tuple(self.commands)
        unknown = [k for k in wanted if k not in self.commands]
        if unknown:
            raise ConfigError(
                f"{self.platform.value}: no command {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(self.commands)}"
            )
        return tuple(k for k in self.commands if k in wanted)


@cache
def command_set(platform: Platform) -> CommandSet:
    """The command set of ``platform`` (read once)."""
    if platform is Platform.LINUX:
        raise ConfigError("Linux hosts run a script, not a command set")
    path = COMMANDS_DIR / f"{platform.value}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no SSH command set for platform {platform.value}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not YAML: {exc}") from None
    try:
        parsed = CommandSet.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if parsed.platform is not platform:
        raise ConfigError(f"{path}: says platform {parsed.platform.value}")
    return parsed


def network_platforms() -> tuple[Platform, ...]:
    """Platforms that have a command set."""
    return tuple(p for p in Platform if (COMMANDS_DIR / f"{p.value}.yaml").exists())
