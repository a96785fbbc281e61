"""The vpcd wire protocol, against a fake vpcd on a loopback TCP connection."""

from __future__ import annotations

import socket
import threading

import pytest

from core.errors import LabError
from lab.smartcard import virtual_card
from lab.smartcard.card_files import SS_CARD_ATR
from lab.smartcard.vpcd_link import VpcdLink, connect_to_vpcd, encode_message
from tests.unit.lab.smartcard.conftest import FakeVpcd

SELECT_SSSE = bytes.fromhex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF")


@pytest.fixture
def link(card_and_vpcd: tuple[socket.socket, FakeVpcd]) -> VpcdLink:
    card_side, _ = card_and_vpcd
    started = VpcdLink(virtual_card("test-card"), card_side, "reader 1 (test-card)").start()
    return started


@pytest.fixture
def vpcd(card_and_vpcd: tuple[socket.socket, FakeVpcd]) -> FakeVpcd:
    return card_and_vpcd[1]


def test_a_message_is_a_2_byte_length_and_its_payload() -> None:
    assert encode_message(b"\x90\x00") == b"\x00\x02\x90\x00"
    with pytest.raises(LabError):
        encode_message(b"")


def test_the_atr_is_answered_at_any_time_powered_or_not(link: VpcdLink, vpcd: FakeVpcd) -> None:
    assert vpcd.ask(b"\x04") == SS_CARD_ATR
    vpcd.send(b"\x01")
    assert vpcd.ask(b"\x04") == SS_CARD_ATR
    vpcd.send(b"\x00")
    assert vpcd.ask(b"\x04") == SS_CARD_ATR
    assert link.atr_requests == 3
    assert not link.powered


def test_a_command_gets_the_cards_answer(link: VpcdLink, vpcd: FakeVpcd) -> None:
    vpcd.send(b"\x01")
    assert vpcd.ask(SELECT_SSSE) == bytes.fromhex("611E")
    assert vpcd.ask(bytes.fromhex("00C000001E"))[-2:] == bytes.fromhex("9000")
    vpcd.send(b"\x02")  # reset: the pending FCI is gone
    assert vpcd.ask(bytes.fromhex("00C000001E")) == bytes.fromhex("6985")
    assert link.powered
    assert link.apdus_answered == 3


def test_remove_after_answers_k_more_commands_then_hangs_up(link: VpcdLink, vpcd: FakeVpcd) -> None:
    link.remove_after(2)
    assert vpcd.ask(SELECT_SSSE) == bytes.fromhex("611E")
    assert vpcd.ask(b"\x04") == SS_CARD_ATR  # controls do not count
    assert vpcd.ask(bytes.fromhex("00C000001E"))[-2:] == bytes.fromhex("9000")
    assert link.wait_removed(5.0)
    assert vpcd.closed_by_card()
    assert not link.inserted


def test_remove_pulls_the_card_now(link: VpcdLink, vpcd: FakeVpcd) -> None:
    assert vpcd.ask(b"\x04") == SS_CARD_ATR
    link.remove()
    assert not link.inserted
    assert vpcd.closed_by_card()
    with pytest.raises(LabError):
        link.remove_after(-1)


def test_remove_after_zero_is_remove(link: VpcdLink, vpcd: FakeVpcd) -> None:
    link.remove_after(0)
    assert vpcd.closed_by_card()


def test_vpcd_hanging_up_ends_the_insertion(link: VpcdLink, vpcd: FakeVpcd) -> None:
    vpcd.connection.close()
    assert link.wait_removed(5.0)
    assert not link.inserted


def test_a_card_that_fails_answers_6f00_and_stays_in(
    card_and_vpcd: tuple[socket.socket, FakeVpcd],
) -> None:
    class BrokenCard:
        atr = SS_CARD_ATR
        calls = threading.Event()

        def power_up(self) -> None: ...
        def power_down(self) -> None: ...
        def reset(self) -> None: ...

        def execute(self, command: bytes) -> bytes:
            raise RuntimeError("a bug in a card")

    card_side, vpcd = card_and_vpcd
    link = VpcdLink(BrokenCard(), card_side, "broken").start()
    assert vpcd.ask(SELECT_SSSE) == bytes.fromhex("6F00")
    assert link.inserted
    link.remove()


def test_connecting_gives_up_when_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    with pytest.raises(LabError, match="no vpcd reader listens"):
        connect_to_vpcd("127.0.0.1", free_port, timeout_s=0.05)
