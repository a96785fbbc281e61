"""Starting things for people: the server in the background, the console in front of it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from core.errors import NocError
from core.settings import Settings
from ssnoc.lab_enrollment import lab_password
from ssnoc.lab_fleet import start_lab_terminals, stop_lab_terminals, use_lab_card_readers
from ssnoc.wiring import Noc, load_network, open_noc

if TYPE_CHECKING:
    from topology.monitor import TopologyMonitor

log = logging.getLogger(__name__)
SERVER_START_TIMEOUT_S = 60.0


TOKEN_ENV = "SSNOC_TOKEN"  # noqa: S105 - the variable's name, not a token
"""A personal API token for the console (scripts, kiosks): no login screen."""


def run_console(
    settings: Settings, url: str | None = None, read_only: bool = False, user: str | None = None
) -> None:
    """The console, on a server's API (``url``) or in-process on the local stores.

    With ``SSNOC_TOKEN`` set, it uses that token; otherwise it opens on the login screen, with
    ``user`` filled in — and, when ``user`` is one of the lab's NOC users, logged in with the
    password the lab recorded for them (``<data_dir>/lab/noc-users.txt``)."""
    from tui.app import NocConsole
    from tui.client import NocApiClient

    headers = {}
    token = os.environ.get(TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    password = lab_password(settings, user) if user is not None else None
    use_lab_card_readers(settings)  # the provisioning screen reads the lab's virtual cards

    def console(http: httpx.AsyncClient) -> NocConsole:
        return NocConsole(NocApiClient(http), read_only=read_only, username=user, password=password)

    if url is not None:
        console(httpx.AsyncClient(base_url=url, headers=headers, timeout=10.0)).run()
        return
    from ssnoc.server import build_api

    noc = open_noc(settings)
    try:
        transport = httpx.ASGITransport(app=build_api(noc, topology=_local_topology(noc)))
        http = httpx.AsyncClient(
            transport=transport, base_url="http://ssnoc.local", headers=headers, timeout=30.0
        )
        console(http).run()
    finally:
        noc.close()


def _local_topology(noc: Noc) -> TopologyMonitor | None:
    """The topology of the local stores for an in-process console; None (its screens then say
    the topology is unavailable) when there is no inventory to read."""
    from core.events import EventBus
    from ssnoc.wiring import build_topology_monitor, read_inventory

    try:
        inventory = read_inventory(noc.settings)
    except NocError as exc:
        log.warning("no topology in this console: %s", exc)
        return None
    # A private bus: what the console sees must not be written to the audit trail as if the
    # server had observed it.
    return build_topology_monitor(
        noc, inventory, EventBus(), max_age_s=noc.settings.topology.refresh_s
    )


def server_url(settings: Settings) -> str:
    return f"http://{settings.api.host}:{settings.api.port}"


def server_is_up(settings: Settings) -> bool:
    try:
        response = httpx.get(f"{server_url(settings)}/api/v1/livez", timeout=1.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def start_server(settings: Settings) -> subprocess.Popen[bytes]:
    """``ssnoc serve`` in the background, logging to ``<data_dir>/log/server.log``."""
    log_file = settings.data_dir / "log" / "server.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "ssnoc", "serve", "--log-file", str(log_file)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(settings.data_dir / "log" / "server.stderr").open("ab"),
        start_new_session=True,
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    print(f"starting the NOC server on {server_url(settings)} …", file=sys.stderr)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NocError(
                f"the NOC server exited with status {process.returncode}: "
                f"{_tail(settings.data_dir / 'log' / 'server.stderr') or _tail(log_file)}"
            )
        if server_is_up(settings):
            return process
        time.sleep(0.2)
    stop_server(process)
    raise NocError(f"the NOC server did not answer within {SERVER_START_TIMEOUT_S:g} s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def open_console_on_server(
    settings: Settings, keep_server: bool = False, user: str | None = None
) -> None:
    """Reuse a running server or start one; open the console; stop what we started."""
    started = None if server_is_up(settings) else start_server(settings)
    # The lab's card terminals beat into the server we started (not into one found running:
    # whoever started that one runs its terminals).
    terminals = start_lab_terminals(settings, server_url(settings)) if started else None
    try:
        run_console(settings, url=server_url(settings), user=user)
    finally:
        if terminals is not None and not keep_server:
            stop_lab_terminals(terminals)
        if started is not None and not keep_server:
            stop_server(started)


def poll_once(settings: Settings) -> dict[str, Any]:
    """One poll of every device, stored, as a report dict."""
    from ssnoc.server import build_poller

    loaded = load_network(settings)
    noc = open_noc(settings)
    try:
        noc.state.sync_inventory(loaded.inventory)
        poller = build_poller(noc, loaded)

        async def cycle() -> dict[str, Any]:
            try:
                report = await poller.poll_once()
            finally:
                await poller.close()
            failed = dict(report.failed)
            failed.update({k: f"not polled: {v}" for k, v in loaded.skipped.items()})
            return {
                "polled": report.polled,
                "succeeded": report.succeeded,
                "failed": failed,
                "duration_s": report.duration_s,
                "samples": report.samples,
            }

        return asyncio.run(cycle())
    finally:
        noc.close()


def _tail(path: Path, lines: int = 3) -> str:
    if not path.exists():
        return ""
    text = path.read_text(errors="replace").strip().splitlines()
    return " | ".join(text[-lines:])
