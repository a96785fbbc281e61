"""The PSAM's command processor: what a terminal reads from its PSAM, and a test cipher.

The files and commands of NOTES §6:

- MF 3F00 (``00A40000023F00``), EF15 public data (``00A40200020015`` + ``00B095010A``: the
  10-byte serial at offset 1) and EF16 terminal number (``00B0960006``, or ``00A40200020016`` +
  ``00B0000006``), READ BINARY by SFI (P1 = 0x80 | SFI, P2 = offset) or on the current EF.
- The application DF by AID ``00A4040006D15600000590`` (answers ``90 00``; its FCI is unknown).
- GET CHALLENGE ``0084000008``.
- ``80FA 00 00 Lc data``: "encrypt" under :data:`LAB_TEST_SM4_KEY` (SM4-ECB; an 8-byte block is
  padded with eight 00 bytes, as SM4 PSAMs treat 8-byte random numbers [I]). Needs the DF first
  (6985 otherwise). Under ``t0_mode`` the answer comes as ``61 xx`` + GET RESPONSE, as the one
  public trace of ``80FA`` shows.

**The key is a published test vector, never a real key**: the production key hierarchy is not
public and must not be imitated (NOTES §6). No key diversification (``801A``) is modelled.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from lab.smartcard.apdu import (
    INS_GET_CHALLENGE,
    INS_GET_RESPONSE,
    CardOs,
    CommandApdu,
    RandomBytes,
    ResponseApdu,
    Sw,
    get_challenge,
    wrong_le,
)
from lab.smartcard.card_files import PSAM_APPLICATION_AID, PsamData, TransparentFile

LAB_TEST_SM4_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
"""The example key of SM4's standard (GB/T 32907-2016 appendix A): public, for tests only."""
INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_ENCRYPT = 0xFA
_ISO_CLA = 0x00
_PROPRIETARY_CLA = 0x80
_MF = 0x3F00
_SM4_BLOCK = 16
_ISO_INS = frozenset({INS_SELECT, INS_READ_BINARY, INS_GET_CHALLENGE, INS_GET_RESPONSE})


def lab_test_encrypt(data: bytes) -> bytes:
    """What ``80FA`` answers for ``data`` (a multiple of 8 bytes): SM4-ECB under the test key."""
    padded = data + bytes(-len(data) % _SM4_BLOCK)
    encryptor = Cipher(algorithms.SM4(LAB_TEST_SM4_KEY), modes.ECB()).encryptor()  # noqa: S305
    return encryptor.update(padded) + encryptor.finalize()


class PsamOs(CardOs):
    """One inserted PSAM. State from power-up to power-down: current EF, DF selected or not, a
    response waiting for GET RESPONSE. Pure: bytes in, bytes out."""

    def __init__(
        self, psam: PsamData, *, t0_mode: bool = True, random_bytes: RandomBytes = os.urandom
    ) -> None:
        super().__init__(psam.atr)
        self._t0_mode = t0_mode
        self._random_bytes = random_bytes
        self._files = {f.fid: f for f in (psam.ef15(), psam.ef16())}
        self._current_ef: TransparentFile | None = None
        self._application_selected = False

    def _dispatch(self, apdu: CommandApdu, pending: bytes | None) -> ResponseApdu:
        if apdu.cla == _PROPRIETARY_CLA and apdu.ins == INS_ENCRYPT:
            return self._encrypt(apdu)
        if apdu.ins not in _ISO_INS and apdu.ins != INS_ENCRYPT:
            return ResponseApdu.status(Sw.INS_NOT_SUPPORTED)
        if apdu.cla != _ISO_CLA or apdu.ins == INS_ENCRYPT:
            return ResponseApdu.status(Sw.CLA_NOT_SUPPORTED)
        if apdu.ins == INS_SELECT:
            return self._select(apdu)
        if apdu.ins == INS_READ_BINARY:
            return self._read_binary(apdu)
        if apdu.ins == INS_GET_CHALLENGE:
            return get_challenge(apdu, self._random_bytes)
        return self._chain.get_response(apdu, pending)

    def _reset_state(self) -> None:
        super()._reset_state()
        self._current_ef = None
        self._application_selected = False

    def _select(self, command: CommandApdu) -> ResponseApdu:
        if command.p2 not in (0x00, 0x0C):
            return ResponseApdu.status(Sw.WRONG_P1_P2)
        if command.p1 == 0x04:
            if command.data != PSAM_APPLICATION_AID:
                return ResponseApdu.status(Sw.FILE_NOT_FOUND)
            self._application_selected, self._current_ef = True, None
            return ResponseApdu.ok()
        if command.p1 not in (0x00, 0x02):
            return ResponseApdu.status(Sw.WRONG_P1_P2)
        if len(command.data) != 2:
            return ResponseApdu.status(Sw.WRONG_LENGTH)
        fid = int.from_bytes(command.data, "big")
        if fid == _MF and command.p1 == 0x00:
            self._application_selected, self._current_ef = False, None
            return ResponseApdu.ok()
        if fid not in self._files:
            return ResponseApdu.status(Sw.FILE_NOT_FOUND)
        self._current_ef = self._files[fid]
        return ResponseApdu.ok()

    def _read_binary(self, command: CommandApdu) -> ResponseApdu:
        if command.data:
            return ResponseApdu.status(Sw.WRONG_LENGTH)
        if command.p1 & 0x80:
            # P1 = 100x xxxx: a short EF identifier in the low five bits, P2 the offset.
            sfi = command.p1 & 0x1F
            by_sfi = {f.sfi: f for f in self._files.values()}
            if command.p1 & 0x60 or sfi not in by_sfi:
                return ResponseApdu.status(Sw.FILE_NOT_FOUND)
            self._current_ef = by_sfi[sfi]
            offset = command.p2
        else:
            offset = (command.p1 << 8) | command.p2
        ef = self._current_ef
        if ef is None:
            return ResponseApdu.status(Sw.NO_CURRENT_EF)
        if offset >= len(ef.content):
            return ResponseApdu.status(Sw.WRONG_OFFSET)
        rest = ef.content[offset:]
        wanted = command.le or len(rest)  # Le absent or 00: up to the end of the file
        if wanted > len(rest):
            return ResponseApdu.status(wrong_le(len(rest)))
        return ResponseApdu.ok(rest[:wanted])

    def _encrypt(self, command: CommandApdu) -> ResponseApdu:
        if not self._application_selected:
            return ResponseApdu.status(Sw.CONDITIONS_NOT_SATISFIED)
        if command.p1 != 0 or command.p2 != 0:
            return ResponseApdu.status(Sw.WRONG_P1_P2)
        if not command.data or len(command.data) % 8:
            return ResponseApdu.status(Sw.WRONG_LENGTH)
        result = lab_test_encrypt(command.data)
        return self._chain.hold(result) if self._t0_mode else ResponseApdu.ok(result)
