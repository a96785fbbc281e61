"""A private pcscd with virtual cards for a test: the lab's card station, tied to the test process.

``smartcard_lab`` (a fixture) and :func:`running_smartcard_lab` (a context manager) start the
station of :mod:`lab.smartcard.station` — pcscd and the cards in network, mount and PID
namespaces of their own, so two xdist workers, the lab and a system pcscd never meet — and yield
a :class:`SmartcardLab`: the reader names, ``insert``/``remove``/``remove_after`` and ``stop``.

**The one rule for pyscard in the test process**: libpcsclite reads ``PCSCLITE_CSOCK_NAME``
once, at the process's first PC/SC context, and keeps it. So every stack this process starts
uses the same directory (one at a time), the fixture sets the variable before the test runs,
and nothing in the process may make a PC/SC context before the first stack starts (it would
stay bound to /run/pcscd). Release every card connection before the stack stops: a connection
collected later makes pyscard print "Service not available" from ``__del__``.

``insert`` and ``remove`` wait (with a deadline, by polling pcscd through pyscard) until pcscd
shows the card present or gone, so a test can connect at once; pass ``wait=False`` to test
waiting yourself. ``remove_after(reader, apdus=K)``: the card answers K more commands, then
vanishes; the next transmit fails (see the module docstring of the integration test for what
pcscd says then).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from smartcard import scard

from lab.smartcard.pcscd_runner import PCSC_SOCKET_ENV, require_prerequisites
from lab.smartcard.station import CardStationHandle, start_card_station

READY_TIMEOUT_S = 5.0
_process_lab_dir: Path | None = None
_running: SmartcardLab | None = None


def lab_dir_for_this_process() -> Path:
    """The one lab directory every stack of this process uses (the socket path must not change):
    ``<data_dir>/lab``, as ``ssnoc lab card --data-dir <data_dir>`` finds it. Short (under /tmp)
    because Unix socket paths are."""
    global _process_lab_dir  # noqa: PLW0603 - one per process, by libpcsclite's rule
    if _process_lab_dir is None:
        data_dir = tempfile.mkdtemp(prefix="ssnoc-sc-")
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
        _process_lab_dir = Path(data_dir) / "lab"
    return _process_lab_dir


@dataclass
class SmartcardLab:
    """A running private pcscd with vpcd readers and the station that plays cards into them."""

    handle: CardStationHandle
    previous_socket_env: str | None

    @property
    def environment(self) -> dict[str, str]:
        """What a pyscard client needs (this process has it set already)."""
        return self.handle.client_environment()

    @property
    def data_dir(self) -> Path:
        """The ``--data-dir`` under which ``ssnoc lab card …`` finds this station."""
        return self.handle.home.parent.parent

    @property
    def reader_names(self) -> tuple[str, ...]:
        return tuple(slot.name for slot in self.handle.readers)

    def insert(
        self,
        reader_index: int,
        card_name: str,
        *,
        wait: bool = True,
        t0_mode: bool = True,
        lenient: bool = False,
    ) -> None:
        """Put ``card_name`` (``test-card``, ``psam``, …) in a reader; by default, return once
        pcscd reports it present."""
        self._ask(
            {
                "op": "insert",
                "reader": reader_index,
                "card": card_name,
                "t0_mode": t0_mode,
                "lenient": lenient,
            }
        )
        if wait:
            self.wait_for_card(reader_index, present=True)

    def remove(self, reader_index: int, *, wait: bool = True) -> None:
        """Take the card out; by default, return once pcscd reports the reader empty."""
        self._ask({"op": "remove", "reader": reader_index})
        if wait:
            self.wait_for_card(reader_index, present=False)

    def remove_after(self, reader_index: int, apdus: int) -> None:
        """The card answers ``apdus`` more commands, then disappears."""
        self._ask({"op": "remove_after", "reader": reader_index, "apdus": apdus})

    def status(self) -> list[dict[str, Any]]:
        """Per reader: index, name, port, card, powered, apdus (answered)."""
        readers: list[dict[str, Any]] = self._ask({"op": "status"})["readers"]
        return readers

    def wait_for_card(
        self, reader_index: int, *, present: bool, timeout_s: float = READY_TIMEOUT_S
    ) -> None:
        """Poll pcscd (SCardGetStatusChange) until the reader shows a card, or none."""
        name = self.reader_names[reader_index]
        wanted = scard.SCARD_STATE_PRESENT if present else scard.SCARD_STATE_EMPTY
        result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert result == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(result)
        try:
            deadline = time.monotonic() + timeout_s
            states = [(name, scard.SCARD_STATE_UNAWARE)]
            while time.monotonic() < deadline:
                result, seen = scard.SCardGetStatusChange(context, 100, states)
                if result == scard.SCARD_S_SUCCESS and seen[0][1] & wanted:
                    return
                if result == scard.SCARD_S_SUCCESS:
                    states = [(name, seen[0][1] & ~scard.SCARD_STATE_CHANGED)]
            pytest.fail(f"{name}: pcscd did not show the card {'in' if present else 'out'}")
        finally:
            scard.SCardReleaseContext(context)

    def stop(self) -> None:
        """Stop pcscd and the station; nothing of them is left running."""
        global _running  # noqa: PLW0603
        self.handle.stop()
        _running = None
        if self.previous_socket_env is None:
            os.environ.pop(PCSC_SOCKET_ENV, None)
        else:
            os.environ[PCSC_SOCKET_ENV] = self.previous_socket_env

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        reply = self.handle.request(request)
        if not reply.get("ok"):
            raise AssertionError(f"the card station refused {request}: {reply.get('error')}")
        return reply


@contextlib.contextmanager
def running_smartcard_lab(
    readers: int = 4, initial_cards: Mapping[int, str] | None = None
) -> Iterator[SmartcardLab]:
    """A fresh stack (empty readers unless ``initial_cards``), stopped on exit."""
    global _running  # noqa: PLW0603
    if _running is not None:
        raise AssertionError("one smartcard lab at a time per process (one PC/SC socket)")
    require_prerequisites()
    handle = start_card_station(
        lab_dir_for_this_process(), readers, initial_cards or {}, tied_to_caller=True
    )
    previous = os.environ.get(PCSC_SOCKET_ENV)
    os.environ.update(handle.client_environment())
    lab = _running = SmartcardLab(handle, previous)
    try:
        for reader_index in initial_cards or {}:
            lab.wait_for_card(reader_index, present=True)
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def smartcard_lab() -> Iterator[SmartcardLab]:
    """A private pcscd with 4 empty vpcd readers and the card station, for one test."""
    with running_smartcard_lab() as lab:
        yield lab
