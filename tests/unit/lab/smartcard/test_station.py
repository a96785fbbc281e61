"""The card station's request handling and control socket, with a fake vpcd; and what
start/stop do when nothing runs. The station with a real pcscd: the integration test."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.errors import LabError
from lab.smartcard import virtual_card
from lab.smartcard.pcscd_runner import reader_slots
from lab.smartcard.station import (
    CONTROL_SOCKET,
    STATE_FILE,
    CardStation,
    serve_control,
    station_home,
    station_request,
    stop_card_station,
)
from lab.smartcard.vpcd_link import connect_to_vpcd
from tests.unit.lab.smartcard.conftest import FakeVpcd


@pytest.fixture
def station(
    vpcd_listener: tuple[int, Callable[[], FakeVpcd]],
) -> Iterator[tuple[CardStation, Callable[[], FakeVpcd]]]:
    """A station of 4 readers whose cards all connect to one fake vpcd listener."""
    port, accept = vpcd_listener
    made = CardStation(reader_slots(4), lambda _reader_port: connect_to_vpcd("127.0.0.1", port, 2))
    yield made, accept
    made.remove_all()


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """Unix socket paths are short: not under pytest's long tmp_path."""
    path = Path(tempfile.mkdtemp(prefix="ssnoc-st-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_insert_then_status_shows_the_card(
    station: tuple[CardStation, Callable[[], FakeVpcd]],
) -> None:
    card_station, accept = station
    reply = card_station.handle({"op": "insert", "reader": 1, "card": "test-card"})
    vpcd = accept()
    assert reply["ok"] is True
    assert reply["readers"][1]["card"] == "test-card"
    assert reply["readers"][1]["name"] == "Virtual PCD 0 00 01"
    assert [r["card"] for r in reply["readers"]] == [None, "test-card", None, None]
    vpcd.send(b"\x01")
    assert vpcd.ask(bytes.fromhex("0084000008"))[-2:] == b"\x90\x00"
    assert card_station.status()[1]["apdus"] == 1
    assert card_station.status()[1]["powered"] is True


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        ({"op": "insert", "reader": 9, "card": "test-card"}, "no reader 9"),
        ({"op": "insert", "reader": 0, "card": "gold-card"}, "no card named 'gold-card'"),
        ({"op": "insert", "reader": True, "card": "psam"}, "by number"),
        ({"op": "insert", "card": "psam"}, "by number"),
        ({"op": "remove", "reader": 2}, "reader 2 is empty"),
        ({"op": "remove_after", "reader": 2, "apdus": 3}, "reader 2 is empty"),
        ({"op": "explode"}, "unknown request 'explode'"),
    ],
)
def test_bad_requests_get_a_reason(
    station: tuple[CardStation, Callable[[], FakeVpcd]], request_: dict[str, object], error: str
) -> None:
    reply = station[0].handle(request_)
    assert reply["ok"] is False
    assert error in reply["error"]


def test_a_reader_holds_one_card(station: tuple[CardStation, Callable[[], FakeVpcd]]) -> None:
    card_station, accept = station
    card_station.insert(0, "psam")
    accept()
    with pytest.raises(LabError, match="reader 0 already holds psam"):
        card_station.insert(0, "psam-2")


def test_remove_and_remove_after(station: tuple[CardStation, Callable[[], FakeVpcd]]) -> None:
    card_station, accept = station
    card_station.insert(1, "test-card")
    vpcd = accept()
    card_station.remove(1)
    assert vpcd.closed_by_card()
    assert card_station.status()[1]["card"] is None
    card_station.insert(1, "wrong-card")
    vpcd = accept()
    assert card_station.handle({"op": "remove_after", "reader": 1, "apdus": 1})["ok"]
    assert vpcd.ask(bytes.fromhex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF")) == b"\x6a\x82"
    assert vpcd.closed_by_card()
    assert card_station.status()[1]["card"] is None


def test_a_card_vpcd_hangs_up_on_leaves_the_reader_empty(
    station: tuple[CardStation, Callable[[], FakeVpcd]],
) -> None:
    card_station, accept = station
    card_station.insert(3, "psam")
    vpcd = accept()
    vpcd.connection.close()
    links = card_station._links  # the link notices in its own thread
    assert links[3][1].wait_removed(5.0)
    assert card_station.status()[3]["card"] is None


def test_the_control_socket_answers_until_told_to_stop(
    station: tuple[CardStation, Callable[[], FakeVpcd]], short_dir: Path
) -> None:
    card_station, accept = station
    path = short_dir / CONTROL_SOCKET
    stop = threading.Event()
    server = threading.Thread(target=serve_control, args=(card_station, path, stop))
    server.start()
    try:
        reply = _when_listening(path, {"op": "insert", "reader": 2, "card": "psam-2"})
        accept()
        assert reply["readers"][2]["card"] == "psam-2"
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        with socket.socket(socket.AF_UNIX) as raw:
            raw.connect(str(path))
            raw.sendall(b"[1, 2]\n")
            assert json.loads(raw.recv(4096))["ok"] is False
        assert station_request(path, {"op": "stop"}) == {"ok": True, "stopping": True}
    finally:
        stop.set()
        server.join(5)
    assert not server.is_alive()
    assert not path.exists()


def _when_listening(path: Path, request: dict[str, object]) -> dict[str, Any]:
    for _ in range(500):
        try:
            return station_request(path, request, timeout_s=1.0)
        except LabError:
            threading.Event().wait(0.01)
    raise AssertionError("the control socket never answered")


def test_asking_a_station_that_is_not_there_says_how_to_start_one(short_dir: Path) -> None:
    with pytest.raises(LabError, match=r"no card station answers.*ssnoc lab up"):
        station_request(short_dir / CONTROL_SOCKET, {"op": "status"})


def test_stopping_nothing_is_false_and_a_dead_stations_record_is_cleared(short_dir: Path) -> None:
    assert stop_card_station(short_dir) is False
    home = station_home(short_dir)
    home.mkdir()
    dead = _a_dead_pid()
    (home / STATE_FILE).write_text(json.dumps({"pid": dead, "readers": 4}))
    (home / CONTROL_SOCKET).write_text("stale")
    assert stop_card_station(short_dir) is False
    assert not (home / STATE_FILE).exists()
    assert not (home / CONTROL_SOCKET).exists()


def _a_dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_cards_are_made_by_name() -> None:
    assert virtual_card("psam").atr != virtual_card("test-card").atr
    with pytest.raises(LabError, match="there are expired-card, psam"):
        virtual_card("nothing")
