"""``ssnoc lab card insert|remove|status``: virtual cards in the lab's PC/SC readers.

The lab's card station (started by ``ssnoc lab up``) answers on ``<data_dir>/lab/smartcard/
station.sock``; these commands are its remote control. A PC/SC client (the provisioning station)
reaches the station's private pcscd with ``PCSCLITE_CSOCK_NAME``, which ``status`` prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from core.errors import LabError
from core.settings import load_settings
from lab.smartcard.card_files import CARDS
from lab.smartcard.pcscd_runner import PCSC_SOCKET_ENV, PcscdLayout
from lab.smartcard.station import CONTROL_SOCKET, station_home, station_request
from lab.state import lab_dir_of

card_app = typer.Typer(
    help="Virtual social-security cards and PSAMs in the lab's PC/SC readers (a private pcscd).",
    no_args_is_help=True,
)

Reader = Annotated[int, typer.Option("--reader", "-r", help="Reader number: 0, 1, …", min=0)]
DataDir = Annotated[Path | None, typer.Option(help="Default: the settings' data_dir.")]


def _home(data_dir: Path | None) -> Path:
    return station_home(lab_dir_of(data_dir or load_settings().data_dir))


def _ask(data_dir: Path | None, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The station's readers after ``request``; exits 2 with its message when it refuses."""
    try:
        reply = station_request(_home(data_dir) / CONTROL_SOCKET, request)
    except LabError as exc:
        typer.echo(f"ssnoc: {exc}", err=True)
        raise typer.Exit(2) from None
    if not reply.get("ok"):
        typer.echo(f"ssnoc: {reply.get('error', 'the card station refused')}", err=True)
        raise typer.Exit(2)
    readers: list[dict[str, Any]] = reply.get("readers", [])
    return readers


def _describe(reader: dict[str, Any]) -> str:
    card = reader.get("card") or "(empty)"
    line = f"  reader {reader['index']}  {reader['name']:<20}  {card}"
    if reader.get("card"):
        powered = "powered" if reader.get("powered") else "not powered"
        line += f"  ({powered}, {reader.get('apdus', 0)} commands answered)"
    return line


@card_app.command("insert")
def insert(
    reader: Reader,
    card: Annotated[str, typer.Option("--card", "-c", help=f"One of: {', '.join(CARDS)}.")],
    t0: Annotated[
        bool, typer.Option(help="T=0 style: 61xx then GET RESPONSE after SELECT SSSE.")
    ] = True,
    lenient: Annotated[bool, typer.Option(help="Ignore Le: always the whole record.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Put a card in a reader (the reader must be empty)."""
    if card not in CARDS:
        raise typer.BadParameter(f"one of {', '.join(CARDS)}", param_hint="--card")
    request = {"op": "insert", "reader": reader, "card": card, "t0_mode": t0, "lenient": lenient}
    readers = _ask(data_dir, request)
    typer.echo(f"inserted {card}:\n{_describe(readers[reader])}")


@card_app.command("remove")
def remove(
    reader: Reader,
    after: Annotated[
        int | None,
        typer.Option(help="Answer this many more commands first (a card pulled mid-read).", min=0),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Take the card out of a reader, now or after N more commands."""
    if after is None:
        _ask(data_dir, {"op": "remove", "reader": reader})
        typer.echo(f"reader {reader}: card removed")
    else:
        _ask(data_dir, {"op": "remove_after", "reader": reader, "apdus": after})
        typer.echo(f"reader {reader}: the card goes after {after} more commands")


@card_app.command("status")
def status(data_dir: DataDir = None) -> None:
    """The readers and the cards in them; exit 2 when the card station is not running."""
    home = _home(data_dir)
    readers = _ask(data_dir, {"op": "status"})
    socket_path = PcscdLayout(home).socket_path
    typer.echo(f"card station: {len(readers)} readers; PC/SC clients need")
    typer.echo(f"  export {PCSC_SOCKET_ENV}={socket_path}")
    for reader in readers:
        typer.echo(_describe(reader))
