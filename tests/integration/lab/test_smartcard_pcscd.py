"""The virtual cards through a real pcscd and vpcd, read by pyscard in this process.

What pcscd says when a card goes mid-read (measured here): the next transmit fails at once with
``SCARD_E_NOT_TRANSACTED`` (0x80100016, "Transaction failed") — vpcd finds the connection
closed — until pcscd's presence poll (every ≈ 400 ms) notices; from then on it is
``SCARD_W_REMOVED_CARD`` (0x80100069). A PC/SC client must read both as "card removed" (and
can tell by asking whether the reader still shows a card).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from smartcard import scard
from smartcard.CardConnection import CardConnection
from smartcard.Exceptions import (
    CardConnectionException,
    NoCardException,
)
from smartcard.System import readers
from typer.testing import CliRunner

from lab.smartcard.card_files import PSAM_ATR, SS_CARD_ATR, SSSE_AID
from lab.smartcard.pcscd_runner import PCSC_SOCKET_ENV, PcscdLayout
from lab.smartcard.station import (
    CONTROL_SOCKET,
    start_card_station,
    station_home,
    stop_card_station,
)
from ssnoc.commands.lab_card import card_app
from tests.support.smartcard_lab import (
    SmartcardLab,
    lab_dir_for_this_process,
    running_smartcard_lab,
    smartcard_lab,  # noqa: F401  (a fixture)
)

pytestmark = [pytest.mark.integration, pytest.mark.needs_root]

CARD_READER = 1
PSAM_READER = 0
SELECT_SSSE = "00A404000F" + SSSE_AID.hex().upper()
CARD_GONE = {scard.SCARD_E_NOT_TRANSACTED, scard.SCARD_W_REMOVED_CARD}


@pytest.fixture
def lab(smartcard_lab: SmartcardLab) -> SmartcardLab:  # noqa: F811
    return smartcard_lab


@pytest.fixture
def card(lab: SmartcardLab) -> Iterator[CardConnection]:
    """A connection to the test card in reader 1, released before the stack stops."""
    lab.insert(CARD_READER, "test-card")
    with connected(CARD_READER) as connection:
        yield connection


@contextlib.contextmanager
def connected(reader_index: int) -> Iterator[CardConnection]:
    connection = readers()[reader_index].createConnection()
    connection.connect()
    try:
        yield connection
    finally:
        connection.release()


def send(connection: CardConnection, apdu_hex: str) -> tuple[bytes, str]:
    data, sw1, sw2 = connection.transmit(list(bytes.fromhex(apdu_hex)))
    return bytes(data), f"{sw1:02X}{sw2:02X}"


def test_the_readers_are_listed_by_pyscard_under_the_names_the_station_gives(
    lab: SmartcardLab,
) -> None:
    assert [str(r) for r in readers()] == list(lab.reader_names)
    assert lab.environment == {PCSC_SOCKET_ENV: os.environ[PCSC_SOCKET_ENV]}
    assert all(reader["card"] is None for reader in lab.status())


def test_the_test_card_answers_a_basic_data_read(card: CardConnection) -> None:
    assert bytes(card.getATR()) == SS_CARD_ATR
    assert send(card, SELECT_SSSE) == (b"", "611E")
    fci, sw = send(card, "00C000001E")
    assert sw == "9000"
    assert fci[:4] == bytes.fromhex("6F1C840F")
    assert fci[4:19] == SSSE_AID
    assert send(card, "00A4020002EF05") == (b"", "9000")
    identifier, sw = send(card, "00B2010400")
    assert (identifier.hex().upper(), sw) == ("0110440100D1560000050011223344556677", "9000")
    assert send(card, "00B2030400") == (b"\x03\x042.00", "9000")
    assert send(card, "00B2072C0B") == (b"\x07\x09X00000019", "9000")
    ssn, _ = send(card, "00B2083014")
    assert ssn[2:].decode("ascii") == "440106199001011235"
    name, sw = send(card, "00B2093020")
    assert sw == "9000"
    assert name[2:].rstrip(b"\x00").decode("gbk") == "张三"
    assert send(card, "00B2080018") == (b"", "6C14")


def test_a_bank_card_refuses_the_social_security_application(lab: SmartcardLab) -> None:
    lab.insert(CARD_READER, "wrong-card")
    with connected(CARD_READER) as connection:
        assert send(connection, SELECT_SSSE) == (b"", "6A82")


def test_the_psam_gives_its_terminal_number_and_serial(lab: SmartcardLab) -> None:
    lab.insert(PSAM_READER, "psam")
    with connected(PSAM_READER) as psam:
        assert bytes(psam.getATR()) == PSAM_ATR
        assert send(psam, "00B0960006") == (bytes.fromhex("440103000001"), "9000")
        assert send(psam, "00A40200020015") == (b"", "9000")
        assert send(psam, "00B095010A")[0].hex() == "44010300000000000001"


def test_a_removed_card_leaves_the_reader_empty(lab: SmartcardLab) -> None:
    lab.insert(CARD_READER, "test-card")
    lab.remove(CARD_READER)
    assert lab.status()[CARD_READER]["card"] is None
    with pytest.raises(NoCardException):
        readers()[CARD_READER].createConnection().connect()


def test_a_card_pulled_mid_read_fails_the_next_transmit(
    lab: SmartcardLab, card: CardConnection
) -> None:
    assert send(card, SELECT_SSSE)[1] == "611E"
    lab.remove_after(CARD_READER, apdus=2)
    assert send(card, "00C000001E")[1] == "9000"
    assert send(card, "00A4020002EF06")[1] == "9000"
    with pytest.raises(CardConnectionException) as raised:
        send(card, "00B2093020")
    assert raised.value.hresult in CARD_GONE
    lab.wait_for_card(CARD_READER, present=False)
    with pytest.raises(CardConnectionException) as again:
        send(card, "00B2093020")
    assert again.value.hresult == scard.SCARD_W_REMOVED_CARD


def test_an_apdu_takes_well_under_a_millisecond_not_40(card: CardConnection) -> None:
    send(card, SELECT_SSSE)
    rounds = 300
    began = time.perf_counter()
    for _ in range(rounds):
        assert send(card, "00B2083014")[1] == "9000"
    per_apdu_ms = (time.perf_counter() - began) / rounds * 1000
    print(f"per APDU through pcscd and vpcd: {per_apdu_ms:.3f} ms")  # shown with -s
    assert per_apdu_ms < 5.0  # 40 ms if TCP_QUICKACK were missing


def test_the_cli_drives_the_running_station(lab: SmartcardLab) -> None:
    runner = CliRunner()
    data_dir = ["--data-dir", str(lab.data_dir)]
    inserted = runner.invoke(card_app, ["insert", "--reader", "1", "--card", "psam-2", *data_dir])
    assert inserted.exit_code == 0, inserted.output
    assert "psam-2" in inserted.output
    lab.wait_for_card(1, present=True)
    with connected(1) as psam:
        assert send(psam, "00B0960006")[0].hex() == "440104000002"
    shown = runner.invoke(card_app, ["status", *data_dir])
    assert shown.exit_code == 0, shown.output
    assert f"export {PCSC_SOCKET_ENV}={os.environ[PCSC_SOCKET_ENV]}" in shown.output
    removed = runner.invoke(card_app, ["remove", "--reader", "1", *data_dir])
    assert removed.exit_code == 0, removed.output
    lab.wait_for_card(1, present=False)
    refused = runner.invoke(card_app, ["remove", "--reader", "1", *data_dir])
    assert refused.exit_code == 2
    assert "reader 1 is empty" in refused.output


def _processes_mentioning(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_stopping_the_stack_leaves_nothing_running() -> None:
    with running_smartcard_lab(initial_cards={PSAM_READER: "psam"}) as lab:
        home = lab.handle.home
        assert _processes_mentioning(str(home))  # unshare, the station, pcscd
        with connected(PSAM_READER) as psam:
            assert send(psam, "00B0960006")[1] == "9000"
    assert _processes_mentioning(str(home)) == []
    assert not (home / CONTROL_SOCKET).exists()
    assert not PcscdLayout(home).socket_path.exists()
    assert PCSC_SOCKET_ENV not in os.environ or lab.previous_socket_env is not None


def test_the_lab_station_starts_detached_with_the_psam_in_reader_0() -> None:
    lab_dir = lab_dir_for_this_process()
    handle = start_card_station(lab_dir)
    os.environ.update(handle.client_environment())
    try:
        recorded = json.loads((station_home(lab_dir) / "station.json").read_text())
        assert recorded == {"pid": handle.pid, "readers": 4}
        status = handle.request({"op": "status"})["readers"]
        assert [r["card"] for r in status] == ["psam", None, None, None]
    finally:
        assert stop_card_station(lab_dir) is True
        os.environ.pop(PCSC_SOCKET_ENV, None)
    assert stop_card_station(lab_dir) is False
    assert _processes_mentioning(str(handle.home)) == []
