"""The lab's card terminals in the NOC: registered, provisioned, and beating into the API.

After ``ssnoc lab up`` the lab's generated fleet (``lab.terminals``) goes into the terminal
registry through its CSV import, as a county would hand its list over; every terminal but the
last :data:`LEFT_FOR_THE_STATION` of each county is then bound to a lab PSAM number and given its
credential, as the provisioning station would — those left ``registered`` are for a field
technician to provision with the virtual cards. The credentials are written once to
``<lab dir>/terminal-tokens.json`` (mode 0600) for the terminal simulator; a terminal whose token is
lost is re-issued one. Every change is in the registry's history with ``lab`` as who.

``ssnoc up`` starts the simulator (``python -m lab.terminals``) beside the server it starts and
stops it with the server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from card_fleet.credentials import CredentialIndex
from card_fleet.model import TerminalState
from card_fleet.registry import SqlTerminalRegistry
from core.clock import Clock, SystemClock
from core.errors import AuthenticationFailed
from core.inventory import load_inventory
from core.settings import Settings
from core.state.db import migrate_to_head, open_state_engine
from lab.files import read_province
from lab.smartcard.pcscd_runner import PCSC_SOCKET_ENV, PcscdLayout
from lab.smartcard.station import station_home
from lab.state import LabState, lab_dir_of, read_state
from lab.terminals import SIMULATOR_PID_FILE
from lab.terminals.csv_export import fleet_csv
from lab.terminals.fleet import LabTerminal, generate_fleet
from ssnoc.lab_enrollment import write_private_file
from ssnoc.wiring import county_cities

TOKENS_FILE = "terminal-tokens.json"
LEFT_FOR_THE_STATION = 2
"""Terminals per county left ``registered``, for the provisioning station."""
ACTOR = "lab"


@dataclass(frozen=True)
class LabFleetEnrollment:
    registered: int
    """Terminals new in the registry."""
    provisioned: int
    """Terminals bound and given a credential now (new ones, or lost tokens)."""
    import_errors: tuple[str, ...]
    tokens_file: Path
    left_registered: int


def lab_psam_number(terminal: LabTerminal) -> str:
    """A lab PSAM terminal number: the county's code, 9, and the terminal's number (12 digits);
    the virtual PSAMs of the card station use other numbers, so they stay free to bind."""
    number = int(terminal.id.rsplit("-", 1)[1])
    return f"{terminal.county}9{number:05d}"


def enroll_lab_terminals(
    settings: Settings, state: LabState, clock: Clock | None = None
) -> LabFleetEnrollment:
    """Register the lab's fleet and provision all but a few per county (idempotent)."""
    clock = clock or SystemClock()
    engine = open_state_engine(settings.resolved_state_db_url)
    try:
        migrate_to_head(engine)
        registry = SqlTerminalRegistry(engine, county_cities(load_inventory(state.inventory_path)))
        fleet = generate_fleet(read_province(state.province_path), state.options.seed)
        known = {t.id: t for t in registry.list()}
        new = [t for t in fleet if t.id not in known]
        errors: tuple[str, ...] = ()
        if new:
            result = registry.import_csv(fleet_csv(new), by=ACTOR, now=clock.now())
            errors = tuple(f"line {e.line}, {e.column}: {e.reason}" for e in result.errors)
            known = {t.id: t for t in registry.list()}
        path = lab_dir_of(settings.data_dir) / TOKENS_FILE
        tokens = _read_tokens(path)
        index = registry.credentials()
        provisioned = 0
        left = 0
        by_county: dict[str, list[LabTerminal]] = {}
        for terminal in fleet:
            by_county.setdefault(terminal.county, []).append(terminal)
        for terminals in by_county.values():
            for terminal in terminals[: max(0, len(terminals) - LEFT_FOR_THE_STATION)]:
                # A row the import refused is not known: get() says so (NotFound).
                current = known.get(terminal.id) or registry.get(terminal.id)
                if current.state is TerminalState.REGISTERED:
                    tokens[terminal.id] = registry.bind_and_issue(
                        terminal.id, lab_psam_number(terminal), by=ACTOR, now=clock.now()
                    )
                    provisioned += 1
                elif current.has_credential and not _works(index, tokens.get(terminal.id)):
                    tokens[terminal.id] = registry.reissue_credential(
                        terminal.id, by=ACTOR, now=clock.now()
                    )
                    provisioned += 1
            left += min(LEFT_FOR_THE_STATION, len(terminals))
        _write_tokens(path, tokens)
    finally:
        engine.dispose()
    return LabFleetEnrollment(len(new), provisioned, errors, path, left)


def _works(index: CredentialIndex, token: str | None) -> bool:
    if token is None:
        return False
    try:
        index.authenticate(token)
    except AuthenticationFailed:
        return False
    return True


def _read_tokens(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_tokens(path: Path, tokens: dict[str, str]) -> None:
    write_private_file(path, json.dumps(tokens, indent=0, sort_keys=True))


# --- the simulator beside the server --------------------------------------------------------


def start_lab_terminals(settings: Settings, api_url: str) -> subprocess.Popen[bytes] | None:
    """Start the lab's terminal simulator when a lab with enrolled terminals is up here."""
    state = read_state(settings.data_dir)
    tokens = lab_dir_of(settings.data_dir) / TOKENS_FILE
    if state is None or not tokens.exists():
        return None
    log_file = settings.data_dir / "log" / "terminals.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "lab.terminals", "--api", api_url, "--tokens", str(tokens)]
    with log_file.open("ab") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [*command, "--lab-dir", str(state.lab_dir)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (state.lab_dir / SIMULATOR_PID_FILE).write_text(str(process.pid), encoding="utf-8")
    return process


def stop_lab_terminals(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def use_lab_card_readers(settings: Settings) -> bool:
    """Point this process's PC/SC client at the lab's card station (its readers hold the
    virtual PSAM and test card), unless a PCSCLITE_CSOCK_NAME is set already or no station
    runs here. Must run before the first PC/SC call (the provisioning screen's)."""
    if PCSC_SOCKET_ENV in os.environ:
        return False
    environment = PcscdLayout(station_home(lab_dir_of(settings.data_dir))).client_environment()
    socket = environment.get(PCSC_SOCKET_ENV)
    if socket is None or not Path(socket).exists():
        return False
    os.environ.update(environment)
    return True
