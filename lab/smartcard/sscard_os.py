"""The social-security card's command processor (a gen-2 card: basic data free to read).

What it answers, exactly as NOTES §9 writes it (every example there is a unit test):

- SELECT SSSE by name ``00A404000F 7378…CF``: ``61 1E`` then the FCI by GET RESPONSE
  (``t0_mode``, the default, as a T=0 card under plain PC/SC); FCI + ``90 00`` without it, as
  vendor reader DLLs that hide ``61xx`` make a card look. P2 = 0C: ``90 00`` alone.
- SELECT EF by FID, P1 02 or 00 (``00A4020002EF05``): ``90 00``, no FCI; 3F00 selects the MF.
- READ RECORD ``00B2 P1 P2``: P2 >> 3 is the SFI (0 = the current EF; an SFI makes its EF
  current); P2 & 7 = 4 reads record number P1, P2 & 7 = 0 the first record whose tag is P1.
  Le 00 or the record's length → the record; any other Le → ``6C len``; ``lenient`` ignores Le.
- GET CHALLENGE ``0084000008``: 8 random bytes.
- Errors: 6A82 unknown AID/FID (also SELECT SSSE on a card without it, the "wrong card"), 6A83 no
  such record, 6986 no current EF, 6985 GET RESPONSE with nothing pending, 6A86 bad P1/P2, 6700
  bad length, 6D00 unknown INS, 6E00 a CLA the INS does not take (``80B2…``).

Not modelled (see the report of this work): PIN commands, gen-3 external authentication, UPDATE.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from lab.smartcard.apdu import (
    INS_GET_CHALLENGE,
    INS_GET_RESPONSE,
    CardOs,
    CommandApdu,
    RandomBytes,
    ResponseApdu,
    Sw,
    answer_with_le,
    get_challenge,
)
from lab.smartcard.card_files import SSSE_AID, ContactCard, RecordFile

INS_SELECT = 0xA4
INS_READ_RECORD = 0xB2
INS_READ_BINARY = 0xB0
_ISO_CLA = 0x00
_MF = 0x3F00


class SocialSecurityCardOs(CardOs):
    """One inserted contact card: a social-security card, or (no SSSE) a card that is not one.

    State lives from power-up to power-down: the selected DF (MF or SSSE), the current EF and a
    response waiting for GET RESPONSE. Pure: bytes in, bytes out, no I/O.
    """

    def __init__(
        self,
        card: ContactCard,
        *,
        t0_mode: bool = True,
        lenient: bool = False,
        random_bytes: RandomBytes = os.urandom,
    ) -> None:
        super().__init__(card.atr)
        self._card = card
        self._t0_mode = t0_mode
        self._lenient = lenient
        self._random_bytes = random_bytes
        self._files: dict[int, RecordFile] = {}
        if card.ssse is not None:
            self._files = {f.fid: f for f in (card.ssse.ef05(), card.ssse.ef06())}
        self._in_ssse = False
        self._current_ef: RecordFile | None = None
        self._commands: dict[int, Callable[[CommandApdu], ResponseApdu]] = {
            INS_SELECT: self._select,
            INS_READ_RECORD: self._read_record,
            INS_READ_BINARY: self._read_binary,
            INS_GET_CHALLENGE: lambda c: get_challenge(c, self._random_bytes),
        }

    def _dispatch(self, apdu: CommandApdu, pending: bytes | None) -> ResponseApdu:
        if apdu.ins == INS_GET_RESPONSE and apdu.cla == _ISO_CLA:
            return self._chain.get_response(apdu, pending)
        handler = self._commands.get(apdu.ins)
        if handler is None and apdu.ins != INS_GET_RESPONSE:
            return ResponseApdu.status(Sw.INS_NOT_SUPPORTED)
        if handler is None or apdu.cla != _ISO_CLA:
            return ResponseApdu.status(Sw.CLA_NOT_SUPPORTED)
        return handler(apdu)

    def _reset_state(self) -> None:
        super()._reset_state()
        self._in_ssse = False
        self._current_ef = None

    def _select(self, command: CommandApdu) -> ResponseApdu:
        if command.p1 == 0x04:
            return self._select_by_name(command)
        if command.p1 not in (0x00, 0x02) or command.p2 not in (0x00, 0x0C):
            return ResponseApdu.status(Sw.WRONG_P1_P2)
        if len(command.data) != 2:
            return ResponseApdu.status(Sw.WRONG_LENGTH)
        fid = int.from_bytes(command.data, "big")
        if fid == _MF and command.p1 == 0x00:
            self._in_ssse, self._current_ef = False, None
            return ResponseApdu.ok()
        found = self._files.get(fid) if self._in_ssse else None
        if found is None:
            return ResponseApdu.status(Sw.FILE_NOT_FOUND)
        self._current_ef = found
        return ResponseApdu.ok()

    def _select_by_name(self, command: CommandApdu) -> ResponseApdu:
        if command.p2 not in (0x00, 0x0C):
            return ResponseApdu.status(Sw.WRONG_P1_P2)
        if not command.data:
            return ResponseApdu.status(Sw.WRONG_LENGTH)
        if self._card.ssse is not None and command.data == SSSE_AID:
            fci = self._card.ssse.fci()
            self._in_ssse = True
        elif command.data in self._card.applications:
            fci = self._card.applications[command.data]
            self._in_ssse = False
        else:
            return ResponseApdu.status(Sw.FILE_NOT_FOUND)
        self._current_ef = None
        if command.p2 == 0x0C:
            return ResponseApdu.ok()
        return self._chain.hold(fci) if self._t0_mode else ResponseApdu.ok(fci)

    def _read_record(self, command: CommandApdu) -> ResponseApdu:
        if command.data:
            return ResponseApdu.status(Sw.WRONG_LENGTH)
        sfi, mode = command.p2 >> 3, command.p2 & 0x07
        if mode not in (0x00, 0x04) or sfi == 0x1F:
            return ResponseApdu.status(Sw.WRONG_P1_P2)
        if sfi:
            by_sfi = {f.sfi: f for f in self._files.values()} if self._in_ssse else {}
            if sfi not in by_sfi:
                return ResponseApdu.status(Sw.FILE_NOT_FOUND)
            self._current_ef = by_sfi[sfi]
        ef = self._current_ef
        if ef is None:
            return ResponseApdu.status(Sw.NO_CURRENT_EF)
        if mode == 0x04 and command.p1 == 0:
            return ResponseApdu.status(Sw.WRONG_P1_P2)  # "current record" is not tracked
        record = ef.record(command.p1) if mode == 0x04 else ef.first_with_tag(command.p1)
        if record is None:
            return ResponseApdu.status(Sw.RECORD_NOT_FOUND)
        return answer_with_le(record.encoded, command.le, self._lenient)

    def _read_binary(self, command: CommandApdu) -> ResponseApdu:
        if self._current_ef is None and not command.p1 & 0x80:
            return ResponseApdu.status(Sw.NO_CURRENT_EF)
        return ResponseApdu.status(Sw.COMMAND_INCOMPATIBLE)  # EF05/EF06 are record files
