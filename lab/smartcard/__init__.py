"""The lab's virtual social-security card and PSAM, behind a real pcscd.

A card station (:mod:`lab.smartcard.station`) runs a private pcscd with vsmartcard's vpcd readers
(:mod:`lab.smartcard.pcscd_runner`) and plays the cards into them over the vpcd protocol
(:mod:`lab.smartcard.vpcd_link`): the social-security card's command processor
(:mod:`lab.smartcard.sscard_os`) and the PSAM's (:mod:`lab.smartcard.psam_os`), over the files of
:mod:`lab.smartcard.card_files` and the APDU rules of :mod:`lab.smartcard.apdu`. ``ssnoc lab card
insert|remove|status`` drives it; a pyscard client reaches its pcscd with ``PCSCLITE_CSOCK_NAME``.

No pyscard here: the lab is the card side; only card_fleet's reader module is a PC/SC client.
"""

from __future__ import annotations

from core.errors import LabError
from lab.smartcard.card_files import CARDS, PsamData
from lab.smartcard.psam_os import PsamOs
from lab.smartcard.sscard_os import SocialSecurityCardOs
from lab.smartcard.vpcd_link import VirtualCard

__all__ = ["CARDS", "VirtualCard", "virtual_card"]


def virtual_card(name: str, *, t0_mode: bool = True, lenient: bool = False) -> VirtualCard:
    """A freshly powered card of the catalogue (:data:`lab.smartcard.card_files.CARDS`) by name.

    ``t0_mode`` and ``lenient``: see :class:`~lab.smartcard.sscard_os.SocialSecurityCardOs`
    (a PSAM takes ``t0_mode`` only).
    """
    data = CARDS.get(name)
    if data is None:
        raise LabError(f"no card named {name!r}; there are {', '.join(sorted(CARDS))}")
    if isinstance(data, PsamData):
        return PsamOs(data, t0_mode=t0_mode)
    return SocialSecurityCardOs(data, t0_mode=t0_mode, lenient=lenient)
