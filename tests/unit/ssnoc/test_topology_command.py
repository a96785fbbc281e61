"""``ssnoc topology``: the toy province's inventory file and a state DB polled by hand, read back
through the command line as tables and as JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from core.security.audit_trail import AuditTrail
from ssnoc.cli import app
from tests.unit.topology.networks import GZ_CORE, LIWAN_ACC, TOY, YUEXIU_ACC
from tests.unit.topology.toy_state import ToyState


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ToyState]:
    """The settings name ``tmp_path`` as the data directory, holding the toy's state DB, and
    the toy's inventory file."""
    for name in list(os.environ):
        if name.startswith("SSNOC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        yaml.safe_dump(TOY.model_dump(mode="json", exclude_none=True), allow_unicode=True),
        encoding="utf-8",
    )
    monkeypatch.setenv("SSNOC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SSNOC_INVENTORY_PATH", str(inventory))
    state = ToyState(tmp_path)
    yield state
    state.close()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["topology", *args])
    return result.exit_code, result.stdout, result.stderr


def test_failover_lists_the_nodes_on_backup(world: ToyState) -> None:
    world.poll(down_interfaces=[world.end_of("gz-liwan-primary", LIWAN_ACC)])
    code, out, err = run("failover")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["STATE", "REGION", "NODE", "DOWN", "NOW", "OVER"]
    assert lines[1].split() == [
        "on_backup", "440103", "荔湾区", LIWAN_ACC, "gz-liwan-primary",
        "gd-dc2-core1", ">", "fs-core1", ">", LIWAN_ACC,
    ]  # fmt: skip
    assert lines[-1] == "6 nodes: 5 on primary, 1 on backup, 0 isolated"
    # A look from the command line is not an observation: nothing goes into the audit trail.
    assert AuditTrail(world.engine, world.clock).count() == 0


def test_failover_as_json_with_every_node(world: ToyState) -> None:
    world.poll()
    code, out, _ = run("failover", "--all", "--region", "440100", "--json")
    assert code == 0
    board = json.loads(out)
    assert board["counts"] == {"on_primary": 3, "on_backup": 0, "isolated": 0}
    assert [s["device_id"] for s in board["sites"]] == [GZ_CORE, LIWAN_ACC, YUEXIU_ACC]


def test_all_on_primary_is_one_line(world: ToyState) -> None:
    world.poll()
    assert run("failover") == (0, "6 nodes: 6 on primary, 0 on backup, 0 isolated\n", "")


def test_single_points_of_failure_of_a_county(world: ToyState) -> None:
    code, out, _ = run("spof", "--region", "440605")
    assert code == 0
    rows = [line.split()[:3] for line in out.splitlines()[1:] if line.strip()]
    assert ["bridge", "link", "fs-nanhai-primary"] in rows
    assert ["articulation_point", "device", "fs-core1"] in rows
    code, out, _ = run("spof", "--json")
    assert code == 0
    assert {f["kind"] for f in json.loads(out)} >= {"bridge", "shared_path"}


def test_paths_of_a_city(world: ToyState) -> None:
    code, out, _ = run("paths", "440100")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NODE", "REGION", "PRIMARY", "BACKUP", "SHARED"]
    liwan = next(line for line in lines if line.startswith(LIWAN_ACC))
    assert "gd-dc1-core1 > gz-core1 > gz-liwan-acc1" in liwan
    assert "gd-dc2-core1 > fs-core1 > gz-liwan-acc1" in liwan
    yuexiu = next(line for line in lines if line.startswith(YUEXIU_ACC))
    assert yuexiu.rstrip().endswith(GZ_CORE)  # both its paths pass through the city router
    code, out, _ = run("paths", "440100", "--json")
    assert [p["device_id"] for p in json.loads(out)] == [GZ_CORE, LIWAN_ACC, YUEXIU_ACC]


def test_impact_of_a_link(world: ToyState) -> None:
    world.poll()
    code, out, _ = run("impact", "--link", "fs-nanhai-primary")
    assert code == 0
    assert out.splitlines()[0].startswith("If link fs-nanhai-primary")
    assert "  cut off:                fs-nanhai-acc1" in out.splitlines()
    code, out, _ = run("impact", "--device", GZ_CORE, "--json")
    assert json.loads(out)["element"] == {"kind": "device", "id": GZ_CORE}


@pytest.mark.parametrize("args", [(), ("--device", GZ_CORE, "--link", "gz-dc1")])
def test_impact_needs_exactly_one_element(world: ToyState, args: tuple[str, ...]) -> None:
    assert run("impact", *args) == (2, "", "ssnoc: give exactly one of --device and --link\n")


def test_root_causes(world: ToyState) -> None:
    world.poll()
    assert run("root-causes") == (0, "nothing is down\n", "")
    world.poll(down_devices=[GZ_CORE, YUEXIU_ACC])
    code, out, _ = run("root-causes")
    assert code == 0
    [_header, row] = out.splitlines()
    assert row.split()[:4] == ["device", GZ_CORE, "440100", "1"]
    code, out, _ = run("root-causes", "--json")
    assert json.loads(out)[0]["consequence_device_ids"] == [YUEXIU_ACC]


def test_mistakes_are_one_line(world: ToyState) -> None:
    assert run("paths", "4401") == (2, "", "ssnoc: REGION: not a six-digit region code: '4401'\n")
    code, _, err = run("paths", "449999")
    assert (code, err) == (2, "ssnoc: no region 449999\n")
    code, _, err = run("impact", "--device", "nowhere-acc1")
    assert (code, err) == (2, "ssnoc: no device 'nowhere-acc1' in the topology\n")


def test_without_an_inventory(world: ToyState, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSNOC_INVENTORY_PATH")
    code, _, err = run("failover")
    assert code == 2
    assert "no inventory at" in err
    assert "Traceback" not in err
