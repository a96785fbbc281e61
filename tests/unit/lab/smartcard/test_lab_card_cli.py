"""``ssnoc lab card insert|remove|status`` against a station answering on the lab's socket (its
cards talk to a fake vpcd), and without one."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.smartcard.pcscd_runner import PCSC_SOCKET_ENV, reader_slots
from lab.smartcard.station import CONTROL_SOCKET, CardStation, serve_control, station_home
from lab.smartcard.vpcd_link import connect_to_vpcd
from lab.state import lab_dir_of
from ssnoc.commands.lab_card import card_app
from tests.unit.lab.smartcard.conftest import FakeVpcd


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ssnoc-cli-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def running_station(
    data_dir: Path, vpcd_listener: tuple[int, Callable[[], FakeVpcd]]
) -> Iterator[Callable[[], FakeVpcd]]:
    port, accept = vpcd_listener
    station = CardStation(reader_slots(2), lambda _port: connect_to_vpcd("127.0.0.1", port, 2))
    home = station_home(lab_dir_of(data_dir))
    home.mkdir(parents=True)
    stop = threading.Event()
    server = threading.Thread(target=serve_control, args=(station, home / CONTROL_SOCKET, stop))
    server.start()
    try:
        yield accept
    finally:
        stop.set()
        server.join(5)
        station.remove_all()


def cli(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(card_app, [*args, "--data-dir", str(data_dir)])
    return result.exit_code, result.output


def _wait_for_socket(data_dir: Path) -> None:
    path = station_home(lab_dir_of(data_dir)) / CONTROL_SOCKET
    for _ in range(500):
        if path.exists():
            return
        threading.Event().wait(0.01)


def test_insert_status_and_remove(data_dir: Path, running_station: Callable[[], FakeVpcd]) -> None:
    _wait_for_socket(data_dir)
    code, output = cli(data_dir, "insert", "--reader", "1", "--card", "test-card")
    assert code == 0, output
    assert "inserted test-card" in output
    assert "Virtual PCD 0 00 01" in output
    vpcd = running_station()
    code, output = cli(data_dir, "status")
    assert code == 0, output
    socket_path = station_home(lab_dir_of(data_dir)) / "pcscd" / "pcscd.comm"
    assert f"export {PCSC_SOCKET_ENV}={socket_path}" in output
    assert "reader 0  Virtual PCD 0 00 00   (empty)" in output
    assert "test-card  (not powered, 0 commands answered)" in output
    code, output = cli(data_dir, "remove", "--reader", "1", "--after", "2")
    assert code == 0, output
    assert "goes after 2 more commands" in output
    code, output = cli(data_dir, "remove", "--reader", "1")
    assert code == 0, output
    assert vpcd.closed_by_card()
    code, output = cli(data_dir, "remove", "--reader", "1")
    assert code == 2
    assert "reader 1 is empty" in output


def test_an_unknown_card_is_refused_before_asking(data_dir: Path) -> None:
    code, output = cli(data_dir, "insert", "--reader", "1", "--card", "gold-card")
    assert code == 2
    assert "test-card" in output


@pytest.mark.parametrize("command", [["status"], ["remove", "--reader", "1"]])
def test_without_a_station_the_message_says_how_to_start_one(
    data_dir: Path, command: list[str]
) -> None:
    code, output = cli(data_dir, *command)
    assert code == 2
    assert "no card station answers" in output
    assert "ssnoc lab up" in output
    assert "Traceback" not in output
