"""The simulator wired to a lab directory and a tokens file, and its command line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.clock import FakeClock
from core.errors import LabError
from lab.files import write_province
from lab.model import Province
from lab.terminals.__main__ import main
from lab.terminals.fleet import LabTerminal
from lab.terminals.inputs import check_loopback, load_lab_province, load_tokens
from lab.terminals.simulator import SimulatorConfig, run_simulator

from .conftest import SEED, HeartbeatApi

REPOSITORY = Path(__file__).resolve().parents[4]


@pytest.fixture
def lab_dir(tmp_path: Path, small: Province) -> Path:
    directory = tmp_path / "lab"
    directory.mkdir()
    write_province(directory, small)
    return directory


def _tokens_file(tmp_path: Path, tokens: dict[str, str]) -> Path:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(tokens), encoding="utf-8")
    return path


async def test_it_runs_the_lab_s_terminals_that_have_a_token(
    tmp_path: Path,
    lab_dir: Path,
    small_fleet: tuple[LabTerminal, ...],
    tokens: dict[str, str],
    heartbeat_api: HeartbeatApi,
    busy_clock: FakeClock,
) -> None:
    enrolled = dict(list(tokens.items())[::2])
    stop = asyncio.Event()
    lines: list[str] = []

    async def fake_wait(seconds: float, stop: asyncio.Event) -> None:
        beats = [t for t in asyncio.all_tasks() if t.get_name().startswith("beat ")]
        if beats:
            await asyncio.wait(beats)
        busy_clock.advance(seconds)
        if heartbeat_api.count() >= 2 * len(enrolled):
            stop.set()

    stats = await run_simulator(
        heartbeat_api.url,
        _tokens_file(tmp_path, enrolled),
        lab_dir,
        seed=SEED,
        stop=stop,
        clock=busy_clock,
        wait=fake_wait,
        progress=lambda s: lines.append(s.line()),
    )

    assert stats.terminals == len(enrolled)
    assert heartbeat_api.beating() == set(enrolled)
    assert stats.accepted == heartbeat_api.count() >= 2 * len(enrolled)
    assert lines


async def test_config_overrides_the_interval(
    tmp_path: Path, lab_dir: Path, tokens: dict[str, str], heartbeat_api: HeartbeatApi
) -> None:
    stop = asyncio.Event()
    stop.set()  # stops before the first beat: what ran is what it was given
    stats = await run_simulator(
        heartbeat_api.url,
        _tokens_file(tmp_path, tokens),
        lab_dir,
        seed=SEED,
        stop=stop,
        config=SimulatorConfig(interval_s=5),
    )
    assert stats.sent == 0
    assert stats.terminals == len(tokens)


async def test_tokens_for_none_of_the_fleet_are_refused(tmp_path: Path, lab_dir: Path) -> None:
    with pytest.raises(LabError, match="none of the lab's"):
        await run_simulator(
            "http://127.0.0.1:9",
            _tokens_file(tmp_path, {"T999999-0001": "x"}),
            lab_dir,
            seed=SEED,
            stop=asyncio.Event(),
        )


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://127.3.4.5", "http://localhost:1/", "http://[::1]:80"]
)
def test_loopback_addresses_are_accepted(url: str) -> None:
    check_loopback(url)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1:8080", "http://example.org", "ftp://127.0.0.1/", "not a url"]
)
def test_other_addresses_are_refused(url: str) -> None:
    with pytest.raises(LabError):
        check_loopback(url)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("{ nope", "is not JSON"),
        ('["a"]', "expected an object"),
        ('{"T440103-0001": 5}', "expected an object"),
    ],
)
def test_a_bad_tokens_file_is_refused_without_showing_it(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "tokens.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(LabError, match=message) as raised:
        load_tokens(path)
    assert "nope" not in str(raised.value)


def test_a_lab_dir_without_a_province_says_so(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="is the lab up"):
        load_lab_province(tmp_path)


def test_the_command_line_exports_the_fleet(
    tmp_path: Path, lab_dir: Path, small_fleet: tuple[LabTerminal, ...]
) -> None:
    out = tmp_path / "terminals.csv"
    assert main(["--lab-dir", str(lab_dir), "--export-csv", str(out), "--seed", str(SEED)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(small_fleet) + 1


def test_the_command_line_refuses_an_api_off_loopback(
    tmp_path: Path, lab_dir: Path, tokens: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tokens_path = _tokens_file(tmp_path, tokens)
    argv = ["--lab-dir", str(lab_dir), "--api", "http://192.0.2.1", "--tokens", str(tokens_path)]
    assert main(argv) == 1
    assert "not on loopback" in capsys.readouterr().err


def test_the_command_line_needs_an_api_to_run(lab_dir: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--lab-dir", str(lab_dir)])
    assert exited.value.code == 2


def test_the_command_line_stops_cleanly_on_sigterm(
    tmp_path: Path, lab_dir: Path, tokens: dict[str, str], heartbeat_api: HeartbeatApi
) -> None:
    argv = [
        sys.executable,
        "-m",
        "lab.terminals",
        "--lab-dir",
        str(lab_dir),
        "--api",
        heartbeat_api.url,
        "--tokens",
        str(_tokens_file(tmp_path, tokens)),
    ]
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    with subprocess.Popen(
        argv, cwd=REPOSITORY, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline().decode()  # printed as soon as it runs
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)

    assert first.startswith(f"terminals {len(tokens)} ")
    assert process.returncode == 0, err.decode()
    assert out.decode().splitlines()[-1].startswith("stopped: terminals")
