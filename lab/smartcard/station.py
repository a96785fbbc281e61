"""The card station: virtual cards in the readers of a private pcscd, put in and out on command.

One process, started by :func:`start_card_station` in namespaces of its own (why: see
:mod:`lab.smartcard.pcscd_runner`), runs pcscd as its child and holds one
:class:`~lab.smartcard.vpcd_link.VpcdLink` per inserted card. Under ``<lab_dir>/smartcard/``:
``station.sock`` (control), ``pcscd/pcscd.comm`` (PC/SC, for clients outside), ``station.json``,
``station.log``, ``pcscd.log``.

Control protocol: one JSON object per connection, one line each way. Requests: ``{"op":
"insert", "reader": 1, "card": "test-card"}`` (optional ``"t0_mode"``, ``"lenient"``),
``{"op": "remove", "reader": 1}``, ``{"op": "remove_after", "reader": 1, "apdus": 3}``,
``{"op": "status"}``, ``{"op": "stop"}``; replies ``{"ok": true, "readers": […]}`` or
``{"ok": false, "error": "…"}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import LabError
from lab.processes import any_thread_running, launch_detached, running_with, stop_process
from lab.smartcard import virtual_card
from lab.smartcard.card_files import CARDS
from lab.smartcard.pcscd_runner import (
    PcscdLayout,
    PcscdProcess,
    ReaderSlot,
    enter_private_run,
    namespace_argv,
    reader_slots,
)
from lab.smartcard.vpcd_link import VpcdLink, connect_to_vpcd

_log = logging.getLogger(__name__)

STATION_DIR = "smartcard"
CONTROL_SOCKET = "station.sock"
STATE_FILE = "station.json"
LAB_READERS = 4
LAB_INITIAL_CARDS: Mapping[int, str] = {0: "psam"}
"""The lab's PSAM sits in reader 0; reader 1 is left for the test card."""
_MODULE = "lab.smartcard.station"
_REQUEST_LIMIT = 65536
Json = dict[str, Any]


class CardStation:
    """The readers and the cards in them; answers control requests. Thread-safe."""

    def __init__(self, slots: Sequence[ReaderSlot], connect: Callable[[int], socket.socket]):
        self.slots = tuple(slots)
        self._connect = connect
        self._links: dict[int, tuple[str, VpcdLink]] = {}
        self._lock = threading.Lock()

    def handle(self, request: Json) -> Json:
        """The reply to one request; a bad request is an ``ok: false`` reply, never a raise."""
        try:
            op = request.get("op")
            if op == "insert":
                options = {k: bool(request[k]) for k in ("t0_mode", "lenient") if k in request}
                self.insert(_reader(request), str(request.get("card")), **options)
            elif op == "remove":
                self.remove(_reader(request))
            elif op == "remove_after":
                self.remove_after(_reader(request), int(request.get("apdus", -1)))
            elif op != "status":
                raise LabError(f"unknown request {op!r}")
        except (LabError, ValueError, TypeError) as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True, "readers": self.status()}

    def insert(
        self, reader: int, card: str, *, t0_mode: bool = True, lenient: bool = False
    ) -> None:
        """A fresh ``card`` in an empty reader: its connection to the reader's vpcd port."""
        slot = self._slot(reader)
        with self._lock:
            held = self._card_in(reader)
            if held is not None:
                raise LabError(f"reader {reader} already holds {held}: remove it first")
            os_ = virtual_card(card, t0_mode=t0_mode, lenient=lenient)
            link = VpcdLink(os_, self._connect(slot.port), f"reader {reader} ({card})").start()
            self._links[reader] = (card, link)
        _log.info("inserted %s in reader %d (%s)", card, reader, slot.name)

    def remove(self, reader: int) -> None:
        """Pull the card out of ``reader`` now."""
        with self._lock:
            link = self._held_link(reader)
            del self._links[reader]
        link.remove()
        _log.info("removed the card from reader %d", reader)

    def remove_after(self, reader: int, apdus: int) -> None:
        """The card in ``reader`` answers ``apdus`` more commands, then goes."""
        with self._lock:
            self._held_link(reader).remove_after(apdus)
        _log.info("the card in reader %d goes after %d more commands", reader, apdus)

    def remove_all(self) -> None:
        with self._lock:
            links, self._links = list(self._links.values()), {}
        for _, link in links:
            link.remove()

    def status(self) -> list[Json]:
        """Per reader: index, name, port, card (or None), powered, APDUs answered."""
        with self._lock:
            return [self._describe(slot) for slot in self.slots]

    def _describe(self, slot: ReaderSlot) -> Json:
        card = self._card_in(slot.index)
        link = self._links[slot.index][1] if card else None
        powered, apdus = (link.powered, link.apdus_answered) if link else (False, 0)
        return dict(
            index=slot.index,
            name=slot.name,
            port=slot.port,
            card=card,
            powered=powered,
            apdus=apdus,
        )

    def _card_in(self, reader: int) -> str | None:
        """The card in ``reader``; a link vpcd closed (or that ran out) counts as empty."""
        held = self._links.get(reader)
        if held is not None and not held[1].inserted:
            del self._links[reader]
            return None
        return held[0] if held is not None else None

    def _held_link(self, reader: int) -> VpcdLink:
        self._slot(reader)
        if self._card_in(reader) is None:
            raise LabError(f"reader {reader} is empty")
        return self._links[reader][1]

    def _slot(self, reader: int) -> ReaderSlot:
        if not 0 <= reader < len(self.slots):
            raise LabError(f"no reader {reader}: the station has readers 0–{len(self.slots) - 1}")
        return self.slots[reader]


def _reader(request: Json) -> int:
    value = request.get("reader")
    if not isinstance(value, int) or isinstance(value, bool):
        raise LabError("say which reader, by number")
    return value


def serve_control(station: CardStation, path: Path, stop: threading.Event) -> None:
    """Answer control requests on the Unix socket ``path`` until ``stop`` (or a stop request)."""
    path.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        path.chmod(0o600)
        server.listen(8)
        server.settimeout(0.1)  # how often `stop` (set by a signal) is looked at
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5.0)
                _answer_control(station, connection, stop)
    path.unlink(missing_ok=True)


def _answer_control(station: CardStation, connection: socket.socket, stop: threading.Event) -> None:
    try:
        request = json.loads(_read_line(connection) or b"{}")
        if not isinstance(request, dict):
            raise ValueError("a request is a JSON object")
    except (OSError, ValueError) as exc:
        reply: Json = {"ok": False, "error": f"unreadable request: {exc}"}
    else:
        if request.get("op") == "stop":
            stop.set()
            reply = {"ok": True, "stopping": True}
        else:
            reply = station.handle(request)
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps(reply, ensure_ascii=False).encode() + b"\n")


def _read_line(connection: socket.socket) -> bytes:
    received = b""
    while b"\n" not in received and len(received) < _REQUEST_LIMIT:
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.split(b"\n", 1)[0]


def main(argv: Sequence[str] | None = None) -> int:
    """The station process (PID 1 of its namespaces): pcscd, the initial cards, the control loop."""
    parser = argparse.ArgumentParser(prog=f"python -m {_MODULE}")
    parser.add_argument("home", type=Path)
    parser.add_argument("--readers", type=int, default=LAB_READERS)
    parser.add_argument("--insert", action="append", default=[], metavar="READER=CARD")
    parser.add_argument("--log-apdus", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # PID 1 ignores signals it has no handler for
        signal.signal(signum, lambda *_: stop.set())
    layout = PcscdLayout(args.home)
    slots = reader_slots(args.readers)
    pcscd = PcscdProcess(layout, slots, args.log_apdus)
    station = CardStation(slots, lambda port: connect_to_vpcd("127.0.0.1", port, 5.0))
    try:
        enter_private_run(layout)
        pcscd.start(timeout_s=10.0)
        for entry in args.insert:
            reader, _, card = entry.partition("=")
            station.insert(int(reader), card)
        _log.info("ready: %d readers, pcscd pid %s", len(slots), pcscd.pid)
        serve_control(station, args.home / CONTROL_SOCKET, stop)
    except LabError as exc:
        _log.error("%s", exc)
        return 1
    finally:
        station.remove_all()
        pcscd.stop()
    _log.info("stopped")
    return 0


@dataclass
class CardStationHandle:
    """A running station, as the process that started it sees it."""

    home: Path
    pid: int
    readers: tuple[ReaderSlot, ...]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    """Set when the station is tied to its caller (a test): reaped by :meth:`stop`."""

    @property
    def control_socket(self) -> Path:
        return self.home / CONTROL_SOCKET

    def client_environment(self) -> dict[str, str]:
        """Set these before a pyscard client's first PC/SC call to reach this station's pcscd."""
        return PcscdLayout(self.home).client_environment()

    def request(self, request: Json, timeout_s: float = 10.0) -> Json:
        return station_request(self.control_socket, request, timeout_s)

    def stop(self) -> bool:
        """Stop it (see :func:`stop_card_station`); True if it was running."""
        was_running = _stop_station_at(self.home, self.pid)
        if self.process is not None:
            if self.process.poll() is None:  # still starting (not yet exec'd), or deaf
                self.process.kill()  # unshare's --kill-child takes the namespace with it
            self.process.wait(10)
        return was_running

    def alive(self) -> bool:
        # Not by command line: just after the fork it is still the parent's.
        if self.process is not None:
            return self.process.poll() is None
        return any_thread_running(self.pid)


def station_home(lab_dir: Path) -> Path:
    return lab_dir.resolve() / STATION_DIR


def station_request(control_socket: Path, request: Json, timeout_s: float = 10.0) -> Json:
    """Send one request to a station; :class:`LabError` when none answers there."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout_s)
            connection.connect(str(control_socket))
            connection.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(_read_line(connection) or b"null")
    except (OSError, ValueError) as exc:
        raise LabError(
            f"no card station answers at {control_socket} ({exc}); start it with `ssnoc lab up`"
        ) from None
    if not isinstance(reply, dict):
        raise LabError(f"the card station at {control_socket} gave no answer")
    return reply


def start_card_station(
    lab_dir: Path,
    readers: int = LAB_READERS,
    initial_cards: Mapping[int, str] | None = None,
    *,
    timeout_s: float = 20.0,
    log_apdus: bool = False,
    tied_to_caller: bool = False,
) -> CardStationHandle:
    """Start the station under ``<lab_dir>/smartcard`` (a running one is replaced) and return
    once it answers, its cards inserted. ``initial_cards`` defaults to the PSAM in reader 0.

    Detached (it outlives ``ssnoc lab up``) unless ``tied_to_caller``: then it is killed with the
    calling thread's process (a test run that dies leaves nothing behind).
    """
    home = station_home(lab_dir)
    stop_card_station(lab_dir)
    home.mkdir(parents=True, exist_ok=True)
    slots = PcscdLayout(home).write(readers)
    cards = LAB_INITIAL_CARDS if initial_cards is None else initial_cards
    for reader, card in cards.items():
        if not 0 <= reader < len(slots) or card not in CARDS:
            raise LabError(f"cannot put {card!r} in reader {reader}")
    command = [sys.executable, "-m", _MODULE, str(home), "--readers", str(len(slots))]
    command += [f"--insert={reader}={card}" for reader, card in sorted(cards.items())]
    command += ["--log-apdus"] if log_apdus else []
    log_path = home / "station.log"
    process = None
    if tied_to_caller:
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", *namespace_argv(command)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        pid = process.pid
    else:
        pid = launch_detached(namespace_argv(command), log_path, what="the card station")
    (home / STATE_FILE).write_text(json.dumps({"pid": pid, "readers": len(slots)}))
    handle = CardStationHandle(home, pid, slots, process)
    _wait_ready(handle, timeout_s)
    return handle


def _wait_ready(handle: CardStationHandle, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not handle.alive():
            tail = (handle.home / "station.log").read_text(errors="replace").strip()
            handle.stop()
            raise LabError(f"the card station stopped while starting: {tail[-400:]}")
        if handle.control_socket.exists():
            with contextlib.suppress(LabError):
                if handle.request({"op": "status"}, timeout_s=1.0).get("ok"):
                    return
        time.sleep(0.02)
    handle.stop()
    raise LabError(f"the card station did not answer within {timeout_s:g} s")


def stop_card_station(lab_dir: Path) -> bool:
    """Stop the station under ``<lab_dir>/smartcard`` and its pcscd; True if one was running.

    Asked to stop over its socket first (cards out, pcscd stopped cleanly); SIGTERM to its
    ``unshare`` if it does not go, which takes the whole namespace down with it.
    """
    home = station_home(lab_dir)
    try:
        pid = int(json.loads((home / STATE_FILE).read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return _stop_station_at(home, pid)


def _stop_station_at(home: Path, pid: int) -> bool:
    running = _is_station(pid, home)
    if running:
        with contextlib.suppress(LabError):
            station_request(home / CONTROL_SOCKET, {"op": "stop"}, timeout_s=2.0)
        deadline = time.monotonic() + 10.0
        while _is_station(pid, home) and time.monotonic() < deadline:
            time.sleep(0.02)
        stop_process(pid, lambda p: _is_station(p, home))
    layout = PcscdLayout(home)
    for leftover in (home / CONTROL_SOCKET, layout.socket_path, layout.socket_dir / "pcscd.pid"):
        leftover.unlink(missing_ok=True)
    (home / STATE_FILE).unlink(missing_ok=True)
    return running


def _is_station(pid: int, home: Path) -> bool:
    return running_with(pid, _MODULE.encode(), str(home).encode())


if __name__ == "__main__":
    sys.exit(main())
