"""Every ../shared/cli output ssnoc claims to support parses exactly as ntc-templates' own
expectations say — through the same code path collection uses.

The claims are the ``claims:`` lists of collectors/ssh/commands/<platform>.yaml: this test reads
them, so a claim cannot be added without its samples passing, and a sample directory that
disappears fails loudly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from collectors.ssh.command_sets import LLDP_NEIGHBORS, NTC, command_set, network_platforms
from collectors.ssh.parsers import parse_rows, template_for
from core.model import Platform
from tests.conftest import SHARED

CLI = SHARED / "cli"


def claims() -> list[tuple[Platform, str, str]]:
    found: list[tuple[Platform, str, str]] = []
    for platform in network_platforms():
        for key, spec in command_set(platform).commands.items():
            found.extend((platform, key, claim) for claim in spec.claims)
    return found


def claimed_samples() -> list[tuple[Platform, str, Path]]:
    samples: list[tuple[Platform, str, Path]] = []
    for platform, key, claim in claims():
        samples.extend(
            (platform, key, raw) for raw in sorted((CLI / platform.value / claim).glob("*.raw"))
        )
    return samples


@pytest.mark.parametrize(
    ("platform", "key", "raw"),
    claimed_samples(),
    ids=lambda value: value.name if isinstance(value, Path) else str(value),
)
def test_a_claimed_sample_parses_as_ntc_templates_expects(
    platform: Platform, key: str, raw: Path
) -> None:
    commands = command_set(platform)
    expected = yaml.safe_load(raw.with_suffix(".yml").read_text(encoding="utf-8"))["parsed_sample"]
    rows = parse_rows(commands, commands.commands[key], raw.read_text(encoding="utf-8"))
    assert rows == expected


@pytest.mark.parametrize(("platform", "key", "claim"), claims())
def test_every_claim_names_samples_that_exist(
    shared_dir: Path, platform: Platform, key: str, claim: str
) -> None:
    raws = list((shared_dir / "cli" / platform.value / claim).glob("*.raw"))
    assert raws, f"{platform.value}.{key} claims {claim}, which has no samples"
    assert all(r.with_suffix(".yml").exists() for r in raws)


def test_the_claims_cover_version_interfaces_and_neighbours(shared_dir: Path) -> None:
    claimed = {(p, k) for p, k, _ in claims()}
    for platform in network_platforms():
        assert (platform, "version") in claimed or platform is Platform.HP_COMWARE
        assert (platform, "interfaces") in claimed
        # ZXROS has no LLDP template upstream: lldp_parsers.py reads it, tested on its own.
        assert (platform, LLDP_NEIGHBORS) in claimed or platform is Platform.ZTE_ZXROS
    assert len(claimed_samples()) == 54


@pytest.mark.parametrize("platform", network_platforms())
def test_ntc_template_flags_agree_with_the_index(platform: Platform) -> None:
    """A command marked as having a template resolves to its own; one marked as not having one
    must not be handed to ntc-templates (it may resolve to a wrong template, like ``dir``)."""
    for key, spec in command_set(platform).commands.items():
        own = f"{platform.value}_{spec.command.replace(' ', '_')}.textfsm"
        picked = template_for(platform.value, spec.command)
        if spec.ntc_template:
            assert picked == own, f"{key}: {spec.command!r} picks {picked}"
        else:
            assert picked != own, f"{key}: {spec.command!r} has a template after all"
            assert spec.parser != NTC


def test_abbreviations_pick_wrong_templates() -> None:
    """Why the command sets spell commands in full (TRAPS)."""
    assert template_for("huawei_vrp", "dis int br") == "huawei_vrp_dir.textfsm"
    assert template_for("huawei_vrp", "display local-user") == "huawei_vrp_dir.textfsm"
